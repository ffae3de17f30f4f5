"""How `data/reference/hebei_units.geojson` was made: the 14 reporting units of Hebei as shapes.

The 11 prefecture-level cities come from the province map of `echarts-china-provinces-pypkg` 0.0.3
(MIT); 定州 and 辛集 (province-administered cities) and the three counties of 雄安新区 (雄县, 容城县,
安新县) from the city maps of `echarts-china-cities-pypkg` 0.0.9 (MIT), drawn over their cities.
Both are on PyPI as source archives; unpack them and run

    python tools/hebei_map.py PROVINCES_DIR CITIES_DIR data/reference/hebei_units.geojson

The maps store coordinates in ECharts' compressed form (zig-zag deltas in UTF-16 code units,
scale 1024); they are decoded, thinned (a point is kept when it is over ~300 m from the last kept
one) and rounded to 4 decimals, so the shipped file is small. No tile, no CDN: the dashboard draws
these polygons itself.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

OVERLAYS = {
    "130682": "定州",
    "130181": "辛集",
    "130638": "雄安新区",
    "130629": "雄安新区",
    "130632": "雄安新区",
}
CITIES = {
    "130100": "石家庄", "130200": "唐山", "130300": "秦皇岛", "130400": "邯郸", "130500": "邢台",
    "130600": "保定", "130700": "张家口", "130800": "承德", "130900": "沧州", "131000": "廊坊",
    "131100": "衡水",
}  # fmt: skip


def decode_ring(text: str, offset: list[int], scale: float = 1024) -> list[list[float]]:
    x0, y0, points = offset[0], offset[1], []
    for i in range(0, len(text) - 1, 2):
        x, y = ord(text[i]) - 64, ord(text[i + 1]) - 64
        x, y = (x >> 1) ^ -(x & 1), (y >> 1) ^ -(y & 1)
        x0, y0 = x0 + x, y0 + y
        points.append([x0 / scale, y0 / scale])
    return points


def thin(ring: list[list[float]], step: float = 0.003) -> list[list[float]]:
    kept = [ring[0]]
    for point in ring[1:-1]:
        if abs(point[0] - kept[-1][0]) + abs(point[1] - kept[-1][1]) >= step:
            kept.append(point)
    kept.append(ring[-1])
    return [[round(x, 4), round(y, 4)] for x, y in kept] if len(kept) >= 4 else []


def features(source: str) -> dict[str, list]:
    """id -> polygons (each a list of rings) of every feature of an ECharts map script."""
    found = {}
    for match in re.finditer(r'id:"(\d+)"', source):
        start = match.start()
        geometry = re.search(
            r'geometry:\{type:"(\w+)",coordinates:(\[.*?\]),encodeOffsets:(\[.*?\])\}',
            source[start : start + 400000],
        )
        if geometry is None:
            continue
        kind = geometry.group(1)
        coordinates = json.loads(geometry.group(2))
        offsets = json.loads(geometry.group(3))
        polygons = [coordinates] if kind == "Polygon" else coordinates
        polygon_offsets = [offsets] if kind == "Polygon" else offsets
        shapes = []
        for rings, ring_offsets in zip(polygons, polygon_offsets, strict=True):
            decoded = [thin(decode_ring(r, o)) for r, o in zip(rings, ring_offsets, strict=True)]
            decoded = [r for r in decoded if r]
            if decoded:
                shapes.append(decoded)
        found.setdefault(match.group(1), shapes)
    return found


def main(provinces: Path, cities: Path, out: Path) -> None:
    province = (next(provinces.rglob("hebei.js"))).read_text(encoding="utf-8")
    shapes = features(province)
    collection = []
    for code, unit in CITIES.items():
        collection.append({"type": "Feature", "properties": {"unit": unit, "layer": "city"},
                           "geometry": {"type": "MultiPolygon", "coordinates": shapes[code]}})  # fmt: skip
    county = {}
    for name in ("he2_bei3_bao3_ding4.js", "he2_bei3_shi2_jia1_zhuang1.js"):
        county.update(features(next(cities.rglob(name)).read_text(encoding="utf-8")))
    overlay: dict[str, list] = {}
    for code, unit in OVERLAYS.items():
        overlay.setdefault(unit, []).extend(county[code])
    for unit, polygons in overlay.items():
        collection.append({"type": "Feature", "properties": {"unit": unit, "layer": "overlay"},
                           "geometry": {"type": "MultiPolygon", "coordinates": polygons}})  # fmt: skip
    out.write_text(
        json.dumps({"type": "FeatureCollection", "features": collection}, ensure_ascii=False,
                   separators=(",", ":")),
        encoding="utf-8",
    )  # fmt: skip


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
