"""What each layer's fields are: declared as data, checked by one validator.

A field has a kind that says how a cell of text becomes a value and what is out of range.
``text`` (labels: categories, unit and team names) and ``freetext`` (prose: descriptions,
addresses, titles, place names) are both scanned for resident ID and phone numbers, which
are masked before storage; ``freetext`` is also checked for HTML markup.
Aliases are matched after folding case, spaces, underscores and hyphens.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # id | text | freetext | time | date | x | y | number | int | pixels | vocab
    required: bool = False
    aliases: tuple[str, ...] = ()
    low: float | None = None  # inclusive range for number/int
    high: float | None = None
    vocab: dict[str, str] = field(default_factory=dict)  # accepted spelling -> stored value


def _vocab(*groups: tuple[str, ...]) -> dict[str, str]:
    """Each group's first word is the stored value; the others are accepted spellings."""
    out = {}
    for group in groups:
        for word in group:
            out[word.lower()] = group[0]
    return out


CAMERA_STATUS = _vocab(("online", "在线", "正常", "active", "live"), ("offline", "离线", "故障", "inactive"),
                       ("planned", "规划", "拟建", "plan"))
LEDGER_KIND = _vocab(("hazard", "隐患", "安全隐患"), ("dispute", "纠纷", "矛盾纠纷"),
                     ("security_gap", "security gap", "治安漏洞", "防范漏洞"), ("other", "其他"))
LEDGER_STATUS = _vocab(("reported", "已上报", "上报", "new"), ("assigned", "已交办", "交办"),
                       ("rectifying", "整改中", "in progress"), ("rectified", "已整改", "整改完成"),
                       ("verified", "已复核", "已验收", "closed"), ("cancelled", "已撤销", "canceled"))
PLACE_KIND = _vocab(("school", "学校"), ("station", "车站", "站点"), ("market", "市场", "商场"),
                    ("hospital", "医院"), ("nightlife", "娱乐场所", "夜市"), ("bank", "银行"),
                    ("park", "公园", "广场"), ("government", "政府", "机关"), ("transport", "交通枢纽"),
                    ("other", "其他"))

X_ALIASES = ("x", "lon", "lng", "long", "longitude", "经度", "x坐标")
Y_ALIASES = ("y", "lat", "latitude", "纬度", "y坐标")

LAYERS: dict[str, tuple[Field, ...]] = {
    "incidents": (
        Field("source_id", "id", True, ("id", "incident_id", "编号", "警情编号")),
        Field("occurred_at", "time", True, ("date", "datetime", "time", "occurred", "发生时间", "时间")),
        Field("x", "x", True, X_ALIASES),
        Field("y", "y", True, Y_ALIASES),
        Field("category", "text", False, ("type", "primary_type", "类别", "类型", "警情类别")),
        Field("subcategory", "text", False, ("subtype", "细类", "子类")),
        Field("reported_at", "time", False, ("reported", "报警时间")),
        Field("status", "text", False, ("状态",)),
        Field("address", "freetext", False, ("location", "block", "地址")),
        Field("description", "freetext", False, ("desc", "details", "描述", "简要案情")),
    ),
    "cameras": (
        Field("source_id", "id", True, ("id", "camera_id", "编号", "设备编号")),
        Field("x", "x", True, X_ALIASES),
        Field("y", "y", True, Y_ALIASES),
        Field("heading", "number", False, ("direction", "azimuth", "朝向", "方向角"), 0, 360),
        Field("fov", "number", False, ("angle", "field_of_view", "视角"), 1, 360),
        Field("range_m", "number", False, ("range", "radius", "distance", "距离"), 1, 2000),
        # horizontal pixels; "1920x1080" gives its first number (geo.ingest.validate._check_pixels)
        Field("resolution_h", "pixels", False, ("resolution", "horizontal_resolution", "resolution_x", "pixels",
                                                "width_px", "分辨率", "水平分辨率", "像素", "水平像素"), 160, 20_000),
        Field("kind", "text", False, ("type", "类型")),
        Field("status", "vocab", False, ("state", "状态"), vocab=CAMERA_STATUS),
        Field("owner", "text", False, ("unit", "权属单位")),
        Field("installed_on", "date", False, ("installed", "go_live_date", "安装日期")),
        Field("removed_on", "date", False, ("removed", "拆除日期")),
    ),
    "places": (
        Field("source_id", "id", True, ("id", "编号")),
        Field("kind", "vocab", True, ("type", "类型"), vocab=PLACE_KIND),
        Field("x", "x", True, X_ALIASES),
        Field("y", "y", True, Y_ALIASES),
        Field("name", "freetext", False, ("名称",)),
        Field("name_en", "text", False, ()),
        Field("required_pct", "number", False, ("required", "要求覆盖率"), 0, 100),
    ),
    "zones": (
        Field("code", "id", True, ("id", "zone", "编号", "代码")),
        Field("name", "text", False, ("名称",)),
        Field("name_en", "text", False, ()),
        Field("team", "text", False, ("unit", "队伍")),
        Field("shift", "text", False, ("班次",)),
        Field("staff", "int", False, ("staff_count", "人数"), 0, 10_000),
    ),
    "ledger": (
        Field("source_id", "id", True, ("id", "编号", "台账编号")),
        Field("kind", "vocab", True, ("type", "类型"), vocab=LEDGER_KIND),
        Field("found_on", "date", True, ("found", "date", "发现日期")),
        Field("x", "x", True, X_ALIASES),
        Field("y", "y", True, Y_ALIASES),
        Field("category", "text", False, ("类别",)),
        Field("title", "freetext", False, ("标题", "名称")),
        Field("description", "freetext", False, ("desc", "描述", "情况")),
        Field("responsible_unit", "text", False, ("unit", "责任单位")),
        Field("deadline", "date", False, ("due", "整改期限")),
        Field("status", "vocab", False, ("状态",), vocab=LEDGER_STATUS),
        Field("note", "freetext", False, ("备注", "说明", "处理意见", "remark", "remarks", "comment")),
    ),
    "areas": (
        Field("code", "id", True, ("id", "编号", "代码")),
        Field("name", "text", False, ("名称",)),
        Field("name_en", "text", False, ()),
        Field("parent", "id", False, ("parent_code", "上级")),
        Field("population", "int", False, ("pop", "人口"), 0, 100_000_000),
        Field("team", "text", False, ("网格员队伍", "grid_team")),
    ),
    # building footprints: the id is optional (a footprint without one is keyed by its shape)
    "buildings": (
        Field("source_id", "id", False, ("id", "osm_id", "building_id", "building_i", "bldg_id", "objectid", "fid",
                                         "编号", "建筑编号", "建筑物编号")),  # building_i: a shapefile's cut name
    ),
}

# Layers whose rows are polygons (geometry comes from the file, not from x/y).
POLYGON_LAYERS = ("zones", "areas", "buildings")


def fold(name: str) -> str:
    """Fold a column name for matching: lower case, no spaces, underscores or hyphens."""
    return "".join(ch for ch in str(name).strip().lower() if ch not in " _-")
