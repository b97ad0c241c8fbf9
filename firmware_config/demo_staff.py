"""The demo staff directory: 2,000 fictional people of Aoba City Hall's departments, with
Japanese names, seating needs and e-mail addresses; the same on every run."""

import csv
import io
import math
import random
from collections import Counter

from firmware_config.demo_departments import DEPARTMENTS

# Its own seed, so that changing the staff list never reshuffles the floor plans.
_STAFF_SEED = 20_240_402
STAFF_COUNT = 2_000

FAMILY_NAMES = (
    ("Sato", "佐藤"), ("Suzuki", "鈴木"), ("Takahashi", "高橋"), ("Tanaka", "田中"),
    ("Ito", "伊藤"), ("Watanabe", "渡辺"), ("Yamamoto", "山本"), ("Nakamura", "中村"),
    ("Kobayashi", "小林"), ("Kato", "加藤"), ("Yoshida", "吉田"), ("Yamada", "山田"),
    ("Sasaki", "佐々木"), ("Yamaguchi", "山口"), ("Matsumoto", "松本"), ("Inoue", "井上"),
    ("Kimura", "木村"), ("Hayashi", "林"), ("Saito", "斎藤"), ("Shimizu", "清水"),
    ("Yamazaki", "山崎"), ("Mori", "森"), ("Abe", "阿部"), ("Ikeda", "池田"),
    ("Hashimoto", "橋本"), ("Yamashita", "山下"), ("Ishikawa", "石川"), ("Nakajima", "中島"),
    ("Maeda", "前田"), ("Fujita", "藤田"), ("Ogawa", "小川"), ("Goto", "後藤"),
    ("Okada", "岡田"), ("Hasegawa", "長谷川"), ("Murakami", "村上"), ("Kondo", "近藤"),
    ("Ishii", "石井"), ("Sakamoto", "坂本"), ("Endo", "遠藤"), ("Aoki", "青木"),
    ("Fujii", "藤井"), ("Nishimura", "西村"), ("Fukuda", "福田"), ("Ota", "太田"),
    ("Miura", "三浦"), ("Okamoto", "岡本"), ("Matsuda", "松田"), ("Nakagawa", "中川"),
)  # fmt: skip
GIVEN_NAMES = (
    ("Haruto", "陽翔"), ("Sota", "蒼太"), ("Yuto", "悠斗"), ("Riku", "陸"), ("Ren", "蓮"),
    ("Minato", "湊"), ("Kaito", "海斗"), ("Takumi", "拓海"), ("Daiki", "大輝"),
    ("Shota", "翔太"), ("Kenta", "健太"), ("Hiroshi", "浩"), ("Takashi", "隆"),
    ("Makoto", "誠"), ("Kenji", "健二"), ("Naoki", "直樹"), ("Tetsuya", "哲也"),
    ("Kazuya", "和也"), ("Shinji", "慎二"), ("Masato", "雅人"), ("Ryota", "涼太"),
    ("Yusuke", "祐介"), ("Kohei", "康平"), ("Yui", "結衣"), ("Hina", "陽菜"), ("Mei", "芽依"),
    ("Sakura", "さくら"), ("Aoi", "葵"), ("Rin", "凛"), ("Mio", "美桜"), ("Yuna", "結菜"),
    ("Akari", "明里"), ("Misaki", "美咲"), ("Haruka", "遥"), ("Nanami", "七海"),
    ("Ayaka", "彩花"), ("Megumi", "恵"), ("Yoko", "洋子"), ("Keiko", "恵子"),
    ("Tomoko", "智子"), ("Naoko", "直子"), ("Yumi", "由美"), ("Mariko", "真理子"),
    ("Emi", "恵美"), ("Kana", "加奈"), ("Saki", "早紀"), ("Asuka", "明日香"),
    ("Chihiro", "千尋"),
)  # fmt: skip
EMAIL_DOMAIN = "city-aoba.example"

# Share of staff with each seating need; small, as in a real office.
NEED_RATES = (("accessible", 0.012), ("dual-monitor", 0.025), ("standing", 0.015))


def render_staff_csv() -> str:
    """The demo staff directory's full text (2,000 fictional people); the same on every run."""
    rng = random.Random(_STAFF_SEED)
    total_desks = sum(d.desks for d in DEPARTMENTS)
    # Largest-remainder shares: headcount in proportion to each department's desks.
    exact = {d.id: STAFF_COUNT * d.desks / total_desks for d in DEPARTMENTS}
    counts = {key: math.floor(value) for key, value in exact.items()}
    short = STAFF_COUNT - sum(counts.values())
    for key in sorted(exact, key=lambda k: (counts[k] - exact[k], k))[:short]:
        counts[key] += 1
    slots = [dept for dept, count in counts.items() for _ in range(count)]
    rng.shuffle(slots)

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["staff_id", "name", "name_ja", "department", "needs", "email"])
    emails: Counter[str] = Counter()
    for number, department in enumerate(slots, start=1):
        family, family_ja = rng.choice(FAMILY_NAMES)
        given, given_ja = rng.choice(GIVEN_NAMES)
        needs = [need for need, rate in NEED_RATES if rng.random() < rate]
        local = f"{given}.{family}".lower()
        emails[local] += 1
        if emails[local] > 1:
            local += str(emails[local])
        writer.writerow(
            [
                f"s{number:05d}",
                f"{family} {given}",
                f"{family_ja} {given_ja}",
                department,
                ";".join(needs),
                f"{local}@{EMAIL_DOMAIN}",
            ]
        )
    return buffer.getvalue()
