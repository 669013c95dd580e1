"""What the build computes from fitted models: nearest neighbours with a public top-k scan
(:mod:`.neighbours`), 2-D maps (:mod:`.projections`), the comparison with each other and with a
null model (:mod:`.measures`, :mod:`.evaluation`) and frequent tag itemsets (:mod:`.itemsets`)."""
