"""Word banks and latent themes for the synthetic demo catalogue.

Themes are what make tags co-occur as they do on MangaDex: a manga draws its tags mostly from one
or two themes, so Isekai, Reincarnation and Fantasy travel together, as do Boys' Love, Romance and
Drama. Weights are relative affinities of a theme for a tag, in 0-1.
"""

from __future__ import annotations

THEMES: dict[str, dict[str, float]] = {
    "isekai": {"Isekai": 1, "Reincarnation": .8, "Fantasy": 1, "Magic": .7, "Adventure": .7,
               "Action": .6, "Video Games": .3, "Demons": .3, "Monsters": .4, "Harem": .3,
               "Time Travel": .2, "Comedy": .4, "Long Strip": .3, "Web Comic": .3, "Adaptation": .4},
    "villainess": {"Villainess": 1, "Reincarnation": .7, "Romance": 1, "Fantasy": .8, "Historical": .5,
                   "Drama": .6, "Isekai": .5, "Comedy": .4, "Magic": .3, "Long Strip": .4,
                   "Full Color": .4, "Reverse Harem": .3},
    "boys_love": {"Boys' Love": 1, "Romance": .9, "Drama": .6, "Comedy": .4, "School Life": .4,
                  "Office Workers": .3, "Slice of Life": .4, "Doujinshi": .3, "Oneshot": .3,
                  "Long Strip": .2, "Web Comic": .3, "Sexual Violence": .08, "Shota": .06},
    "girls_love": {"Girls' Love": 1, "Romance": .8, "School Life": .5, "Slice of Life": .5,
                   "Comedy": .5, "Drama": .4, "Oneshot": .4, "Web Comic": .3, "4-Koma": .2},
    "school_romcom": {"Romance": 1, "Comedy": 1, "School Life": 1, "Slice of Life": .6, "Harem": .2,
                      "Delinquents": .2, "Gyaru": .15, "Drama": .3, "Crossdressing": .1,
                      "Genderswap": .1, "Music": .1, "Sports": .1},
    "battle": {"Action": 1, "Adventure": .7, "Fantasy": .6, "Martial Arts": .5, "Supernatural": .6,
               "Demons": .4, "Comedy": .4, "Monsters": .4, "Drama": .3, "Superhero": .1,
               "Vampires": .1, "Ninja": .1, "Tragedy": .2},
    "wuxia": {"Wuxia": 1, "Martial Arts": 1, "Action": .8, "Historical": .5, "Reincarnation": .4,
              "Fantasy": .5, "Long Strip": .6, "Web Comic": .5, "Full Color": .5, "Adventure": .4,
              "Romance": .2},
    "horror": {"Horror": 1, "Supernatural": .7, "Mystery": .5, "Gore": .5, "Psychological": .5,
               "Thriller": .4, "Ghosts": .4, "Zombies": .3, "Survival": .4, "Tragedy": .4,
               "Monsters": .3, "Post-Apocalyptic": .2, "Sexual Violence": .1},
    "thriller": {"Psychological": 1, "Thriller": .8, "Mystery": .8, "Crime": .6, "Drama": .7,
                 "Tragedy": .5, "Police": .4, "Mafia": .3, "Sexual Violence": .2, "Gore": .2,
                 "Philosophical": .2},
    "scifi": {"Sci-Fi": 1, "Mecha": .4, "Action": .7, "Aliens": .3, "Military": .4,
              "Post-Apocalyptic": .4, "Virtual Reality": .3, "Survival": .3, "Time Travel": .3,
              "Philosophical": .2, "Drama": .3, "Video Games": .2},
    "sports": {"Sports": 1, "Comedy": .6, "School Life": .7, "Drama": .5, "Slice of Life": .3,
               "Award Winning": .1, "Romance": .2},
    "everyday": {"Slice of Life": 1, "Comedy": .9, "Cooking": .3, "Animals": .3, "Music": .2,
                 "4-Koma": .4, "Office Workers": .3, "School Life": .3, "Gyaru": .1,
                 "Traditional Games": .05, "Mahjong": .03, "Medical": .1},
    "webtoon_drama": {"Long Strip": 1, "Web Comic": .9, "Full Color": .9, "Romance": .7,
                      "Drama": .8, "Fantasy": .4, "Action": .3, "Office Workers": .2,
                      "Self-Published": .1},
    "doujin": {"Doujinshi": 1, "Oneshot": .6, "Romance": .5, "Comedy": .5, "Anthology": .3,
               "Fan Colored": .08, "Drama": .2, "Boys' Love": .15, "Girls' Love": .1,
               "Incest": .15, "Loli": .15, "Shota": .1},
    "historical": {"Historical": 1, "Samurai": .3, "Ninja": .2, "Drama": .6, "Military": .4,
                   "Traditional Games": .1, "Romance": .4, "Award Winning": .1, "Tragedy": .3,
                   "Adaptation": .3, "Official Colored": .1},
    "magical": {"Magical Girls": 1, "Magic": .7, "Monster Girls": .4, "Loli": .3, "Comedy": .6,
                "Crossdressing": .3, "Genderswap": .4, "Fantasy": .4, "Supernatural": .3},
    "dark_romance": {"Vampires": .6, "Supernatural": .8, "Romance": .8, "Drama": .6, "Demons": .5,
                     "Ghosts": .3, "Reverse Harem": .3, "Harem": .2, "Incest": .1, "Tragedy": .3},
    "oneshots": {"Oneshot": 1, "Comedy": .5, "Romance": .5, "Drama": .4, "Award Winning": .15,
                 "Slice of Life": .4, "Philosophical": .15, "Medical": .1, "Superhero": .1},
}

#: How common each theme is as a manga's main theme.
THEME_WEIGHTS: dict[str, float] = {
    "isekai": 5, "villainess": 2, "boys_love": 10, "girls_love": 4, "school_romcom": 12,
    "battle": 8, "wuxia": 2, "horror": 4, "thriller": 5, "scifi": 4, "sports": 2, "everyday": 9,
    "webtoon_drama": 7, "doujin": 9, "historical": 4, "magical": 2, "dark_romance": 5,
    "oneshots": 8,
}

#: Original languages by theme (default for the rest).
LANGUAGES: dict[str, dict[str, float]] = {
    "default": {"ja": .78, "ko": .06, "zh": .05, "en": .07, "es": .02, "fr": .01, "id": .01},
    "wuxia": {"zh": .75, "ko": .2, "ja": .05},
    "webtoon_drama": {"ko": .6, "zh": .2, "en": .1, "ja": .1},
    "villainess": {"ko": .45, "ja": .45, "zh": .1},
}

TRANSLATIONS = ("es-la", "pt-br", "fr", "ru", "id", "vi", "it", "de", "pl", "tr", "th", "ar")

ADJECTIVES = (
    "Silent", "Crimson", "Last", "Eternal", "Forgotten", "Gentle", "Hidden", "Broken", "Golden",
    "Midnight", "Wandering", "Stray", "Little", "Endless", "Falling", "Shining", "Hollow",
    "Distant", "Frozen", "Burning", "Secret", "Lonely", "Invincible", "Villainous", "Sleepy",
    "Clumsy", "Reluctant", "Ninth", "Scarlet", "Azure", "Paper", "Iron", "Summer", "Winter",
)
NOUNS = (
    "Sword", "Garden", "Witch", "Knight", "Star", "Library", "Moon", "Dragon", "Prince", "Princess",
    "Cafe", "Classroom", "Detective", "Shrine", "Festival", "Promise", "Letter", "Tower", "Sea",
    "Blade", "Flower", "Kingdom", "Academy", "Demon Lord", "Healer", "Alchemist", "Rival",
    "Roommate", "Butler", "Saint", "Hero", "Bakery", "Orchestra", "Spirit", "Heir", "Duke",
    "Pitcher", "Spell", "Diary", "Umbrella", "Lantern", "Cat", "Fox", "Wolf", "Crow",
)
PLACES = (
    "the North", "Tokyo", "the Abyss", "Sakuragaoka", "the Empire", "the Moon", "Seoul",
    "the Lost City", "the Eastern Sea", "Room 204", "the Old Capital", "the Ninth Floor",
)
TEMPLATES = (
    "The {adj} {noun}", "{adj} {noun} of {place}", "{name}'s {noun}", "My {noun} Is a {adj} {noun2}",
    "{noun} and {noun2}", "The {noun} Who {verb}", "{name} and the {adj} {noun}",
    "I Became the {adj} {noun}", "A {noun} for {name}", "{adj} {noun}", "Welcome to the {noun}",
    "Reborn as a {noun} in {place}", "The {noun2} Next Door", "Days of the {adj} {noun}",
)
VERBS = (
    "Fell from the Sky", "Stopped Time", "Loved Too Late", "Hated Mornings", "Came Back",
    "Knew Too Much", "Never Smiled", "Ate the Moon", "Lost Her Name", "Refused to Die",
)
SYLLABLES = ("ka", "ki", "ku", "ko", "sa", "shi", "su", "so", "ta", "chi", "to", "na", "ni", "no",
             "ha", "hi", "ma", "mi", "mo", "ya", "yu", "ra", "ri", "ru", "ro", "wa", "a", "e", "o")
KATAKANA = {"ka": "カ", "ki": "キ", "ku": "ク", "ko": "コ", "sa": "サ", "shi": "シ", "su": "ス",
            "so": "ソ", "ta": "タ", "chi": "チ", "to": "ト", "na": "ナ", "ni": "ニ", "no": "ノ",
            "ha": "ハ", "hi": "ヒ", "ma": "マ", "mi": "ミ", "mo": "モ", "ya": "ヤ", "yu": "ユ",
            "ra": "ラ", "ri": "リ", "ru": "ル", "ro": "ロ", "wa": "ワ", "a": "ア", "e": "エ", "o": "オ"}
HANZI = "天月星花剑龙王子姬夜雪风火水山海光影梦恋心书学园魔法师骑士少女猫狐狼春夏秋冬"
SEQUEL_SUFFIXES = ((" 2", "sequel"), (": Second Season", "sequel"), (": Side Story", "side_story"),
                   (" Gaiden", "spin_off"), (": After the Rain", "sequel"), (" Anthology", "spin_off"))
REVERSE = {"sequel": "prequel", "side_story": "main_story", "spin_off": "main_story"}

#: A few demo titles that prove the site escapes what it is given.
HOSTILE_TITLES = (
    'Love & "Lies" <Remix>',
    "<img src=x onerror=alert(1)> Academy",
    "Tom's Café </script><script>alert('xss')</script>",
)
SENTENCES = (
    "{name} never wanted to be a {noun}, but {place} had other plans.",
    "After a strange accident, {name} wakes up as the **{adj} {noun}** of {place}.",
    "A quiet story about {name}, a {noun} and the long summer they share.",
    "Nobody in {place} remembers the {adj} {noun} except {name}.",
    "{name} has one rule: never fall for a {noun}. That rule lasts a week.",
    "The {noun} of {place} is dying, and only {name} can read the signs.",
)

#: Words a theme's descriptions use, so that the demo's descriptions say something its tags do not
#: (a model reading them has real signal to find); a few words are shared across themes, as on
#: MangaDex, where "world", "power" or "love" describe very different manga.
THEME_WORDS: dict[str, tuple[str, ...]] = {
    "isekai": ("summoned", "guild", "skills", "levels", "demon lord",
              "hero party", "status screen", "cheat ability", "another world", "truck"),
    "villainess": ("engagement", "duke's daughter", "otome game", "doom flag", "heroine",
                  "crown prince", "ball", "second chance", "etiquette", "scandal"),
    "boys_love": ("senpai", "confession", "roommate", "childhood friend", "heartbeat",
                 "first love", "secret", "colleague", "jealousy", "promise"),
    "girls_love": ("class president", "hand-holding", "student council", "first kiss", "best friend",
                  "letter", "rooftop", "garden club", "feelings", "promise"),
    "school_romcom": ("transfer student", "classmate", "school festival", "love letter", "misunderstanding",
                     "tsundere", "club room", "summer break", "confession", "rival"),
    "battle": ("tournament", "rival", "training arc", "sealed power", "clan",
              "sword", "final form", "demon", "revenge", "power"),
    "wuxia": ("sect", "cultivation", "qi", "martial uncle", "heavenly demon",
             "murim", "elixir", "sword saint", "disciple", "jianghu"),
    "horror": ("curse", "haunted house", "ritual", "urban legend", "shrine",
              "missing girl", "ghost story", "blood", "mirror", "village"),
    "thriller": ("detective", "serial killer", "alibi", "conspiracy", "hostage",
                "evidence", "confession", "trial", "double life", "secret"),
    "scifi": ("colony ship", "android", "space station", "mech pilot", "wormhole",
             "artificial intelligence", "galaxy", "clone", "cyberspace", "world"),
    "sports": ("nationals", "volleyball", "coach", "training camp", "ace pitcher",
              "relay", "swim team", "tournament", "rival school", "practice"),
    "everyday": ("café", "cat", "neighbourhood", "cooking", "weekend",
                "grandmother", "countryside", "tea", "small shop", "seasons"),
    "webtoon_drama": ("ceo", "contract marriage", "revenge", "chaebol", "scandal",
                     "ex-husband", "office", "secretary", "betrayal", "second chance"),
    "doujin": ("fan work", "parody", "anthology", "what if", "circle",
              "comiket", "alternate ending", "crossover", "short", "character study"),
    "historical": ("shogunate", "samurai", "court", "emperor", "war",
                  "dynasty", "concubine", "castle", "edo", "general"),
    "magical": ("magical girl", "transformation", "wand", "familiar", "witch",
               "academy", "spell", "star power", "mascot", "power"),
    "dark_romance": ("obsession", "captive", "contract", "possessive", "vampire lord",
                    "mansion", "debt", "revenge", "fate", "love"),
    "oneshots": ("short story", "one evening", "encounter", "letter", "train",
                "rain", "memory", "goodbye", "festival", "love"),
}
THEME_SENTENCES = (
    "Expect {0}, {1} and {2}.",
    "A tale of {0} and {1}, where {2} changes everything.",
    "{0}, {1}, {2}: nothing is what it seems.",
)
