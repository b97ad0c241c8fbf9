"""The demo city hall's departments: names in English and Japanese, home floor and desks.
Both the site file (zones per department) and the staff directory (headcount) follow them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DepartmentPlan:
    id: str
    name: str
    name_ja: str
    short: str
    floor: int
    desks: int


# Desks per department; staff are 2,000 against ~1,600 desks, a typical free-address ratio.
# fmt: off
DEPARTMENTS = tuple(
    DepartmentPlan(*row)
    for row in (
        ("citizens", "Citizens Affairs Division", "市民課", "Citizens Affairs", 2, 96),
        ("insurance-pension", "Health Insurance and Pension Division", "保険年金課",
         "Insurance & Pension", 2, 84),
        ("accounting", "Accounting Division", "会計課", "Accounting", 2, 50),
        ("welfare", "Public Assistance Division", "生活福祉課", "Public Assistance", 3, 86),
        ("child-family", "Child and Family Support Division", "子育て支援課", "Child & Family",
         3, 84),
        ("elderly-care", "Elderly and Long-term Care Division", "高齢介護課", "Elderly Care",
         3, 78),
        ("disability", "Disability Welfare Division", "障がい福祉課", "Disability", 3, 64),
        ("tax", "Taxation Division", "税務課", "Taxation", 4, 152),
        ("tax-collection", "Tax Collection Division", "納税課", "Tax Collection", 4, 88),
        ("health", "Health Promotion Division", "健康推進課", "Health Promotion", 5, 72),
        ("environment", "Environmental Policy Division", "環境政策課", "Environment", 5, 58),
        ("commerce", "Commerce, Industry and Tourism Division", "商工観光課", "Commerce", 5, 52),
        ("agriculture", "Agriculture Division", "農政課", "Agriculture", 5, 38),
        ("urban-planning", "Urban Planning Division", "都市計画課", "Urban Planning", 6, 62),
        ("roads", "Roads and Bridges Division", "道路課", "Roads", 6, 70),
        ("building", "Building Guidance Division", "建築指導課", "Building Guidance", 6, 44),
        ("parks", "Parks and Green Spaces Division", "公園緑地課", "Parks", 6, 34),
        ("general-affairs", "General Affairs Division", "総務課", "General Affairs", 7, 46),
        ("hr", "Human Resources Division", "人事課", "Human Resources", 7, 38),
        ("finance", "Finance Division", "財政課", "Finance", 7, 36),
        ("policy", "Policy Planning Division", "企画政策課", "Policy Planning", 7, 40),
        ("digital", "Digital Transformation Division", "デジタル推進課", "Digital", 7, 40),
        ("crisis", "Crisis Management Division", "危機管理課", "Crisis Management", 8, 40),
        ("education", "Board of Education General Affairs Division", "教育総務課", "Education",
         8, 72),
        ("council", "City Council Secretariat", "議会事務局", "Council Secretariat", 8, 32),
        ("public-relations", "Secretariat and Public Relations Division", "秘書広報課",
         "Public Relations", 8, 46),
    )
)
# fmt: on
