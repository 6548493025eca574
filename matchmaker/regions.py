"""Inner Mongolia's 12 league-level divisions (盟市), used for region rules and forms."""

LEAGUES = [
    "呼和浩特市",
    "包头市",
    "呼伦贝尔市",
    "兴安盟",
    "通辽市",
    "赤峰市",
    "锡林郭勒盟",
    "乌兰察布市",
    "鄂尔多斯市",
    "巴彦淖尔市",
    "乌海市",
    "阿拉善盟",
]


def is_inner_mongolia(league: str | None) -> bool:
    return bool(league) and league in LEAGUES
