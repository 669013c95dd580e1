"""MangaDex's tag vocabulary, as facts the project carries with it.

Each tag has its MangaDex id, English name and group, and how many manga carried it in the
whole catalogue on 2022-12-10 (about 64k manga). The counts drive the synthetic catalogue;
``None`` marks a tag introduced after that snapshot (Mahjong), which the generator treats as
rarer than any counted tag. "Self-Published" was called "User Created" in 2022.
"""

from __future__ import annotations

from typing import NamedTuple


class Tag(NamedTuple):
    """One MangaDex tag: ``id`` (UUID), English ``name``, ``group`` and 2022 ``count``."""

    id: str
    name: str
    group: str
    count: int | None = None


#: Tag groups in the order MangaDex lists them.
GROUPS: tuple[str, ...] = ("genre", "theme", "format", "content")

#: The 77 tags, grouped, most frequent first within a group.
VOCABULARY: tuple[Tag, ...] = (
    Tag('423e2eae-a7a2-4a8b-ac03-a8351462d71d', 'Romance', 'genre', 25827),
    Tag('4d32cc48-9f00-4cca-9b5a-a839f0764984', 'Comedy', 'genre', 22401),
    Tag('b9af3a63-f058-46de-a9a0-e0c13906197a', 'Drama', 'genre', 19622),
    Tag('e5301a23-ebd9-49dd-a0cb-2add944c7fe9', 'Slice of Life', 'genre', 13781),
    Tag('cdc58593-87dd-415e-bbc0-2ec27bf404cc', 'Fantasy', 'genre', 12470),
    Tag('5920b825-4181-4a17-beeb-9918b0ff7a30', "Boys' Love", 'genre', 11896),
    Tag('391b0423-d847-456f-aff0-8b0cfc03066b', 'Action', 'genre', 11559),
    Tag('87cc87cd-a395-47af-b27a-93258283bbc6', 'Adventure', 'genre', 7232),
    Tag('a3c67850-4684-404e-9b7f-c69850ee5da6', "Girls' Love", 'genre', 4989),
    Tag('3b60b75c-a2d7-4860-ab56-05f391bb889c', 'Psychological', 'genre', 4780),
    Tag('ee968100-4191-4968-93d3-f82d72be7e46', 'Mystery', 'genre', 4103),
    Tag('f8f62932-27da-4fe4-8ee1-6779a8c5edba', 'Tragedy', 'genre', 4103),
    Tag('33771934-028e-4cb3-8744-691e866a923e', 'Historical', 'genre', 3744),
    Tag('256c8bd9-4904-4360-bf4f-508a76d67183', 'Sci-Fi', 'genre', 3053),
    Tag('cdad7e68-1419-41dd-bdce-27753074a640', 'Horror', 'genre', 2802),
    Tag('ace04997-f6bd-436e-b261-779182193d3d', 'Isekai', 'genre', 2112),
    Tag('07251805-a27e-4d59-b488-f0bfbec15168', 'Thriller', 'genre', 1892),
    Tag('69964a64-2f90-4d33-beeb-f3ed2875eb4c', 'Sports', 'genre', 1600),
    Tag('5ca48985-9a9d-4bd8-be29-80dc0303db72', 'Crime', 'genre', 1156),
    Tag('b1e97889-25b4-4258-b28b-cd7f4d28ea9b', 'Philosophical', 'genre', 841),
    Tag('50880a9d-5440-4732-9afb-8f457127e836', 'Mecha', 'genre', 810),
    Tag('acc803a4-c95a-4c22-86fc-eb6b582d82a2', 'Wuxia', 'genre', 365),
    Tag('7064a261-a137-4d3a-8848-2d385de3a99c', 'Superhero', 'genre', 359),
    Tag('c8cbe35b-1b2b-4a3f-9c37-db84c4514856', 'Medical', 'genre', 342),
    Tag('81c836c9-914a-4eca-981a-560dad663e73', 'Magical Girls', 'genre', 308),
    Tag('caaa44eb-cd40-4177-b930-79d3ef2afe87', 'School Life', 'theme', 13235),
    Tag('eabc5b4c-6aff-42f3-b657-3e90cbd00b75', 'Supernatural', 'theme', 9179),
    Tag('a1f53773-c69a-4ce5-8cab-fffcd90b1565', 'Magic', 'theme', 2860),
    Tag('799c202e-7daa-44eb-9cf7-8a3c0441531e', 'Martial Arts', 'theme', 2453),
    Tag('aafb99c1-7f60-43fa-b75f-fc9502ce29c7', 'Harem', 'theme', 2389),
    Tag('36fd93ea-e8b8-445e-b836-358f02b3d33d', 'Monsters', 'theme', 2262),
    Tag('39730448-9a5f-48a2-85b0-a70db87b1233', 'Demons', 'theme', 1789),
    Tag('9ab53f92-3eed-4e9b-903a-917c86035ee3', 'Crossdressing', 'theme', 1762),
    Tag('5fff9cde-849c-4d78-aab0-0d52b2ee1d25', 'Survival', 'theme', 1730),
    Tag('0bc90acb-ccc1-44ca-a34a-b9f3a73259d0', 'Reincarnation', 'theme', 1708),
    Tag('2d1f5d56-a1e5-4d0d-a961-2193588b08ec', 'Loli', 'theme', 1670),
    Tag('92d6d951-ca5e-429c-ac78-451071cbf064', 'Office Workers', 'theme', 1459),
    Tag('3de8c75d-8ee3-48ff-98ee-e20a65c86451', 'Animals', 'theme', 1444),
    Tag('ac72833b-c4e9-4878-b9db-6c8a4a99444a', 'Military', 'theme', 1361),
    Tag('5bd0e105-4481-44ca-b6e7-7544da56b1a3', 'Incest', 'theme', 1238),
    Tag('ddefd648-5140-4e5f-ba18-4eca4071d19b', 'Shota', 'theme', 1203),
    Tag('9438db5a-7e2a-4ac0-b39e-e0d95a34b8a8', 'Video Games', 'theme', 1138),
    Tag('da2d50ca-3018-4cc0-ac7a-6b7d472a29ea', 'Delinquents', 'theme', 1081),
    Tag('dd1f77c5-dea9-4e2b-97ae-224af09caf99', 'Monster Girls', 'theme', 965),
    Tag('2bd2e8d0-f146-434a-9b51-fc9ff2c5fe6a', 'Genderswap', 'theme', 933),
    Tag('292e862b-2d17-4062-90a2-0356caa4ae27', 'Time Travel', 'theme', 839),
    Tag('ea2bc92d-1c26-4930-9b7c-d5c0dc1b6869', 'Cooking', 'theme', 755),
    Tag('3bb26d85-09d5-4d2e-880c-c34b974339e9', 'Ghosts', 'theme', 755),
    Tag('df33b754-73a3-4c54-80e6-1a74a8058539', 'Police', 'theme', 712),
    Tag('d7d1730f-6eb0-4ba6-9437-602cac38664c', 'Vampires', 'theme', 622),
    Tag('f42fbf9e-188a-447b-9fdc-f19dc1e4d685', 'Music', 'theme', 608),
    Tag('85daba54-a71c-4554-8a28-9901a8b0afad', 'Mafia', 'theme', 586),
    Tag('9467335a-1b83-4497-9231-765337a00b96', 'Post-Apocalyptic', 'theme', 546),
    Tag('e64f6742-c834-471d-8d72-dd51fc02b835', 'Aliens', 'theme', 538),
    Tag('65761a2a-415e-47f3-bef2-a9dababba7a6', 'Reverse Harem', 'theme', 459),
    Tag('d14322ac-4d6f-4e9b-afd9-629d5f4d8a41', 'Villainess', 'theme', 415),
    Tag('fad12b5e-68ba-460e-b933-9ae8318f5b65', 'Gyaru', 'theme', 362),
    Tag('81183756-1453-4c81-aa9e-f6e1b63be016', 'Samurai', 'theme', 343),
    Tag('631ef465-9aba-4afb-b0fc-ea10efe274a8', 'Zombies', 'theme', 303),
    Tag('8c86611e-fab7-4986-9dec-d1a2f44acdd5', 'Virtual Reality', 'theme', 226),
    Tag('489dd859-9b61-4c37-af75-5b18e88daafc', 'Ninja', 'theme', 215),
    Tag('31932a7e-5b8e-49a6-9f12-2afa39dc544c', 'Traditional Games', 'theme', 133),
    Tag('cb562697-929f-4d28-9d66-6d3995bf2592', 'Mahjong', 'theme', None),
    Tag('0234a31e-a729-4e28-9d6a-3f87c4966b9e', 'Oneshot', 'format', 14874),
    Tag('b13b2a48-c720-44a9-9c77-39c9979373fb', 'Doujinshi', 'format', 11985),
    Tag('e197df38-d0e7-43b5-9b09-2842d0c326dd', 'Web Comic', 'format', 10328),
    Tag('f5ba408b-0e7a-484d-8d49-4e9125ac96de', 'Full Color', 'format', 9369),
    Tag('3e2b8dae-350e-4ab8-a8ce-016e844b9f0d', 'Long Strip', 'format', 9084),
    Tag('f4122d1c-3b44-44d0-9936-ff7502c39ad3', 'Adaptation', 'format', 4225),
    Tag('51d83883-4103-437c-b4b1-731cb73d786c', 'Anthology', 'format', 1664),
    Tag('b11fda93-8f1d-4bef-b2ed-8803d3733170', '4-Koma', 'format', 1277),
    Tag('320831a8-4026-470b-94f6-8353740e6f04', 'Official Colored', 'format', 1211),
    Tag('0a39b5a1-b235-4886-a747-1d05d216532d', 'Award Winning', 'format', 692),
    Tag('891cf039-b895-47f0-9229-bef4c96eccd4', 'Self-Published', 'format', 531),
    Tag('7b2ce280-79ef-4c09-9b58-12b7c23a9b78', 'Fan Colored', 'format', 92),
    Tag('97893a4c-12af-4dac-b6be-0dffb353568e', 'Sexual Violence', 'content', 2103),
    Tag('b29d6a3d-1569-4e7a-8caf-7557bc92cd5d', 'Gore', 'content', 1783),
)

#: Manga in the 2022-12-10 snapshot that the counts were taken from.
SNAPSHOT_SIZE_2022 = 64_464
