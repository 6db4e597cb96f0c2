"""The demo's data tables: who logs in, what the plant makes, its bill of materials, stages,
fuels and waste. Plausible, invented figures for a single-phase smart meter plant in East China;
quantities follow the assumptions of docs/factors.md (component sum). demo.py writes them.
"""

from __future__ import annotations

from typing import NamedTuple

from apps.accounts.enums import Role
from apps.inventory.enums import DataSource

PASSWORD = "carbonfoot-demo"  # noqa: S105 - printed to the operator; demo accounts only
# Fictitious names: a demo must not borrow a real meter maker's.
SUPPLIER = {"slug": "demo-meter-co", "name": "示范电表有限公司 / Demo Meter Co.", "timezone": "Asia/Shanghai"}
BUYER = {
    "slug": "demo-grid-co",
    "name": "国网示范省电力公司 物资部 / Demo Grid Co. Procurement",
    "timezone": "Asia/Shanghai",
}


# A second supplier whose study is half filled in, so the workspace shows an incomplete study beside
# the complete one: half the bill of materials, electricity for some stages only.
SUPPLIER2 = {
    "slug": "demo-instrument-works",
    "name": "示范仪表二厂 / Demo Instrument Works",
    "timezone": "Asia/Shanghai",
}

# A third-party verification body: it sees only the submitted version the supplier lets it read, and records
# its verification statement on it.
VERIFICATION_BODY = {
    "slug": "demo-cert-centre",
    "name": "示范认证中心 / Demo Certification Centre",
    "timezone": "Asia/Shanghai",
}


class Login(NamedTuple):
    username: str
    organization: str  # "supplier", "supplier2", "buyer", "verification_body" or "" (superuser only)
    role: str
    full_name: str


LOGINS = (
    Login("admin", "", "", "Demo administrator"),
    Login("supplier-manager", "supplier", Role.MANAGER, "王经理 Wang (manager)"),
    Login("supplier-editor", "supplier", Role.EDITOR, "李工 Li (data editor)"),
    # The supplier's own auditor, who traces and recomputes its numbers (read-only); the third-party
    # verifier is "auditor", of the verification body.
    Login("verifier", "supplier", Role.VERIFIER, "赵内审 Zhao (internal auditor)"),
    Login("buyer-reviewer", "buyer", Role.REVIEWER, "陈主管 Chen (procurement reviewer)"),
    Login("buyer-manager", "buyer", Role.MANAGER, "刘处长 Liu (procurement manager)"),
    Login("auditor", "verification_body", Role.VERIFIER, "吴审核员 Wu (lead verifier, Demo Certification Centre)"),
    Login("supplier2-manager", "supplier2", Role.MANAGER, "周经理 Zhou (manager, second supplier)"),
    # A consultant who keeps the data of both suppliers: switches organization in the header.
    Login("consultant", "supplier", Role.EDITOR, "孙顾问 Sun (consultant)"),
    Login("consultant", "supplier2", Role.EDITOR, "孙顾问 Sun (consultant)"),
)

PRODUCT = {
    "name": "单相智能电能表 / Single-phase smart meter",
    "model_code": "DDZY-D1",
    "mass_kg": "0.65",
    "description": "Single-phase cost-control smart electricity meter, 5(60) A, with load switch and ESAM (demo).",
}
SITE = {
    "code": "demo-plant",
    "name": "Demo plant",
    "address": "Hangzhou, Zhejiang (fictitious)",
    "grid_region": "East China grid",
}
STUDY = {
    "name": "DDZY-D1 single-phase smart meter, 2025",
    "units_produced": "1200000",
    "description": (
        "Demo study: cradle-to-gate CFP of one DDZY-D1 meter made at the demo plant in 2025. Illustrative "
        "factors and synthetic meter readings; not a real product's footprint."
    ),
}
DEFAULTS_DATASET = ("carbonfoot illustrative defaults", "2026.1")


class Bom(NamedTuple):
    material_no: int
    quantity: str  # per meter, in the material's activity unit
    loss_rate: str
    unit_mass_kg: str  # kg per piece, or kg/L for liquids
    data_source: str
    notes: str
    legs: tuple[tuple[str, int], ...] = ()  # (transport factor code, km)


S, M, D = DataSource.SUPPLIER_SPECIFIC, DataSource.MEASURED_PRIMARY, DataSource.SECONDARY_DEFAULT
ROAD, LIGHT, RAIL, SEA = "transport.road_heavy.wtw", "transport.road_light", "transport.rail.wtw", "transport.sea.wtw"
BOM = (
    Bom(1, "1", "0.002", "0.0002", D, "LQFP48", ((ROAD, 180),)),
    Bom(2, "1", "0.002", "0.00035", D, "LQFP64, imported", ((SEA, 1900), (ROAD, 160))),
    Bom(3, "2", "0.002", "0.0001", D, "SOIC8 digital isolators", ((ROAD, 1300),)),
    Bom(4, "1", "0.002", "0.00008", D, "SOIC8 EEPROM, imported", ((SEA, 1900), (ROAD, 160))),
    Bom(5, "1", "0.002", "0.00008", D, "SOIC8"),
    Bom(6, "1", "0.002", "0.00008", D, "SOIC8"),
    Bom(7, "1", "0.005", "0.012", D, "Segment TN LCD with backlight", ((ROAD, 1300),)),
    Bom(8, "1", "0.003", "0.0025", D, "14D471K disc varistor"),
    Bom(9, "1", "0.003", "0.030", S, "Factor from the CT maker's declaration", ((ROAD, 250),)),
    Bom(10, "1", "0.003", "0.0002", D, "32.768 kHz crystal"),
    Bom(11, "2", "0.003", "0.00008", D, "SMBJ TVS diodes"),
    Bom(12, "100", "0.010", "0.000005", D, "0603/1206 chip resistors; SMT attrition"),
    Bom(13, "6", "0.005", "0.002", D, "Radial aluminium electrolytics", ((ROAD, 1300),)),
    Bom(14, "80", "0.010", "0.000006", D, "0603 MLCCs; SMT attrition"),
    Bom(15, "1", "0.003", "0.005", D, "Supercapacitor for clock backup"),
    Bom(16, "1", "0.002", "0.009", D, "ER14250 lithium thionyl chloride cell", ((RAIL, 1200), (LIGHT, 40))),
    Bom(17, "2", "0.002", "0.00015", D, "SMPS controller and LDO"),
    Bom(18, "1", "0.002", "0.050", D, "60 A latching relay", ((ROAD, 900),)),
    Bom(19, "1", "0.003", "0.060", D, "Linear power transformer", ((ROAD, 120),)),
    Bom(20, "1", "0.005", "0.038", S, "2-layer FR-4, 120 cm2; factor from the PCB maker's EPD", ((ROAD, 250),)),
    Bom(21, "1", "0.001", "0.0055", D, "Prepaid CPU card shipped with the meter"),
    Bom(22, "1", "0.002", "0.00008", D, "ESAM security module"),
    Bom(23, "1", "0.002", "0.080", D, "Terminal block with brass terminals", ((ROAD, 350),)),
    Bom(24, "1", "0.002", "0.004", D, "Card socket"),
    Bom(25, "1", "0.008", "0.250", S, "PC case and cover; factor from the moulder's declaration", ((ROAD, 60),)),
    Bom(26, "0.002", "0.030", "0.79", M, "Wave-soldering flux, from stock issues"),
    Bom(27, "0.0015", "0.030", "0.90", D, "Acrylic conformal coating; overspray loss"),
    Bom(28, "0.004", "0.030", "1", M, "SAC305 bar for the wave pot; dross loss", ((ROAD, 200),)),
    Bom(29, "0.0005", "0.020", "1", D, "Flux-cored wire for touch-up"),
    Bom(30, "0.0008", "0.030", "4.20", M, "SAC305 paste; stencil waste", ((LIGHT, 180),)),
    Bom(31, "0.00002", "0.010", "0.88", D, "Line maintenance oil; spillage"),
    Bom(32, "0.003", "0.020", "0.79", D, "IPA-based cleaner for stencils and fixtures"),
)


class Stage(NamedTuple):
    no: int
    kwh_per_meter: str  # this product's share, from a year of readings
    profile: str  # load shape, see profiles.PROFILES
    allocation_share: str = "1"
    allocation_note: str = ""


SHARED = "Shared with the three-phase meter line; physical relationship: "
STAGES = (
    Stage(1, "0.004", "line"),
    Stage(2, "0.010", "line"),
    Stage(3, "0.012", "line"),
    Stage(4, "0.060", "line"),
    Stage(5, "0.120", "oven"),
    Stage(6, "0.004", "line"),
    Stage(7, "0.010", "line"),
    Stage(8, "0.060", "oven"),
    Stage(9, "0.025", "line"),
    Stage(10, "0.030", "oven"),
    Stage(11, "0.006", "line"),
    Stage(12, "0.015", "line"),
    Stage(13, "0.200", "continuous"),
    Stage(14, "0.020", "line"),
    Stage(15, "0.006", "line"),
    Stage(16, "0.012", "line"),
    Stage(17, "0.045", "line"),
    Stage(18, "0.008", "line"),
    Stage(19, "0.250", "continuous"),
    Stage(20, "0.012", "line"),
    Stage(21, "0.004", "line"),
    Stage(22, "0.015", "line"),
    Stage(23, "0.003", "line"),
    Stage(24, "0.010", "line", "0.7", SHARED + "70 % of 2025 inspection lots were single-phase parts."),
    Stage(25, "0.030", "building", "0.6", SHARED + "60 % of 2025 pallet-position-days (WMS report)."),
    Stage(26, "0.012", "charging", "0.6", SHARED + "60 % of 2025 pallet moves (WMS report)."),
)

SUPPLIER_FACTORS = {
    "format": "carbonfoot.factors/1",
    "dataset": {
        "name": "Demo Meter Co. upstream EPD factors",
        "version": "2025.1",
        "publisher": "Demo Meter Co., collected from its upstream suppliers",
        "gwp_basis": "AR6",
        "gwp_horizon_years": 100,
        "is_illustrative": True,
        "description": "Primary factors from the demo supplier's own suppliers: they take precedence over the "
        "library defaults for the same materials. Invented demo values standing in for real EPDs.",
    },
    "factors": [
        {
            "code": f"material.{no:02d}_{slug}",
            "category": "material",
            "name_zh": zh,
            "name_en": en,
            "value": v,
            "unit": "kgCO2e/piece",
            "low": lo,
            "high": hi,
            "region": "CN",
            "year": 2025,
            "valid_from": "2025-01-01",
            "valid_to": "2025-12-31",
            "source": f"Illustrative demo value standing in for {src} (not a real EPD)",
            "notes": note,
            "material_no": no,
        }
        for no, slug, zh, en, v, lo, hi, src, note in (
            (
                9,
                "current_transformer",
                "电流互感器",
                "current transformer",
                "0.26",
                "0.23",
                "0.29",
                "the CT maker's ISO 14067 declaration",
                "30 g CT, manganin shunt option excluded.",
            ),
            (
                20,
                "pcb",
                "印制电路板",
                "printed circuit board",
                "0.74",
                "0.66",
                "0.82",
                "the PCB maker's EPD",
                "2-layer FR-4, 120 cm2, about 61.7 kgCO2e/m2.",
            ),
            (
                25,
                "meter_case",
                "表壳",
                "meter case",
                "1.65",
                "1.50",
                "1.80",
                "the case moulder's product carbon footprint declaration",
                "0.25 kg polycarbonate with 30 % post-industrial recycled content.",
            ),
        )
    ],
}


class Ledger(NamedTuple):
    factor_code: str
    quantity: str
    unit: str
    allocation_share: str
    description: str
    stage_no: int | None = None


FUELS = (
    Ledger("fuel.diesel", "1800", "kg", "0.6", "Diesel for two counterbalance forklifts (fuel-card records)", 26),
    Ledger(
        "fuel.natural_gas",
        "6500",
        "Nm3",
        "0.8",
        "Hot-water boiler for the cleaning line; 20 % of its heat goes to offices (sub-metered, excluded)",
        9,
    ),
)
WASTES = (
    Ledger("waste.incineration.plastics", "3200", "kg", "1", "Case sprues and rejected cases, incinerated"),
    Ledger("waste.incineration.weee", "1450", "kg", "1", "Scrapped PCBAs and components, licensed e-waste incinerator"),
    Ledger(
        "waste.landfill.ci_mixed",
        "24000",
        "kg",
        "0.6",
        "Plant general waste, landfill; shared with the three-phase line",
    ),
)

GRID_DATASET = {
    "name": "carbonfoot illustrative hourly grid factors",
    "version": "2025-demo",
    "publisher": "carbonfoot",
    "gwp_basis": "mixed",
    "is_illustrative": True,
    "description": "Synthetic hourly grid factors for the demo. CO2 only, like the MEE/NBS regional factor they "
    "are scaled to. Not measured data: see apps/demo/profiles.py for the model.",
}
GRID_SERIES = {
    "code": "cn-east-hourly-2025",
    "name": "East China grid, hourly (illustrative)",
    "region": "East China grid",
    "unit": "kgCO2e/kWh",
    "resolution_seconds": 3600,
    "source": "SYNTHETIC, ILLUSTRATIVE: carbonfoot demo model (apps/demo/profiles.py) shaping the 2023 "
    "East China grid average CO2 factor 0.5500 kgCO2/kWh (MEE/NBS 2023 electricity CO2 factors) by a midday PV "
    "dip, a night wind dip, wet-season hydro and heating/cooling peaks; mean exactly 0.5500. Not measured data.",
}


PRODUCT2 = {
    "name": "三相智能电能表 / Three-phase smart meter",
    "model_code": "DTZY-T3",
    "mass_kg": "1.45",
    "description": "Three-phase smart electricity meter, 1.5(6) A, transformer-operated (demo).",
}
SITE2 = {
    "code": "demo-works-2",
    "name": "Demo Instrument Works plant",
    "address": "Changsha, Hunan (fictitious)",
    "grid_region": "Central China grid",
}
STUDY2 = {
    "name": "DTZY-T3 three-phase smart meter, 2025 (in progress)",
    "units_produced": "300000",
    "description": "Demo study still being filled in: half the bill of materials and some stages' electricity.",
}
GRID_FACTOR2 = ("China grid electricity factors", "2026.1", "electricity.cn.central.2023")
# Half the bill of materials: the first sixteen materials, per meter (a three-phase meter has more parts).
BOM2 = (
    Bom(1, "1", "0.002", "0.0002", D, "LQFP64"),
    Bom(2, "1", "0.002", "0.00035", D, "Metering SoC"),
    Bom(3, "3", "0.002", "0.0001", D, "Digital isolators"),
    Bom(4, "1", "0.002", "0.00008", D, "EEPROM"),
    Bom(5, "1", "0.002", "0.00008", D, ""),
    Bom(6, "1", "0.002", "0.00008", D, ""),
    Bom(7, "1", "0.005", "0.020", D, "Dot-matrix LCD"),
    Bom(8, "3", "0.003", "0.0025", D, "One varistor per phase"),
    Bom(9, "3", "0.003", "0.030", D, "One CT per phase"),
    Bom(10, "1", "0.003", "0.0002", D, ""),
    Bom(11, "3", "0.003", "0.00008", D, ""),
    Bom(12, "180", "0.010", "0.000005", D, "Chip resistors"),
    Bom(13, "9", "0.005", "0.002", D, ""),
    Bom(14, "150", "0.010", "0.000006", D, "MLCCs"),
    Bom(15, "1", "0.003", "0.005", D, ""),
    Bom(16, "1", "0.002", "0.009", D, "Clock battery"),
)
# kWh entered by hand for the year (meter readings not connected yet); the other stages are still missing.
STAGES2_MANUAL_KWH = {1: "1800", 2: "4200", 3: "5000", 4: "21000", 5: "39000", 6: "1500"}


# The footprint exchange (issue "Footprint requests and review"). The buyer keeps both suppliers; its
# reviewer asks each for a 2025 footprint. The supplier's main study is returned once (the relay is valued
# with the library default), fixed, accepted as version 2 and verified; a variant with a 4G module is
# returned with comments and stays so; the second supplier has not answered yet.
RELATIONSHIP_NOTE = "Framework agreement for smart meters, 2025-2027 (demo)."


class Request(NamedTuple):
    product_type: str
    product_code: str
    due_in_days: int  # from the day the demo is loaded
    message: str


SINGLE_PHASE = "单相智能电能表 / Single-phase smart meter"
REQUEST_MAIN = Request(
    SINGLE_PHASE,
    "DDZY-D1",
    30,
    "Please submit the cradle-to-gate footprint of one DDZY-D1 meter made in 2025 (ISO 14067), for the "
    "2026 framework tender. A verified footprint scores higher.",
)
REQUEST_VARIANT = Request(
    SINGLE_PHASE,
    "DDZY-D2",
    30,
    "The same for the DDZY-D2 variant with the 4G module, 2025 production.",
)
REQUEST_SUPPLIER2 = Request(
    "三相智能电能表 / Three-phase smart meter",
    "DTZY-T3",
    45,
    "Please submit the cradle-to-gate footprint of one DTZY-T3 meter made in 2025 (ISO 14067).",
)


class Comment(NamedTuple):
    line_key: str  # the line's key in the result breakdown; "" for the whole version
    body: str


MAIN_V1_NOTE = "2025 footprint of the DDZY-D1 meter, from a full year of stage meter readings."
MAIN_V1_COMMENTS = (
    Comment(
        "material/18",
        "The latching relay is valued with the library default (0.40 kgCO2e per piece), and it is one of the "
        "largest parts. Your relay maker declares the footprint of this relay: please use that primary factor.",
    ),
)
MAIN_V1_RETURN = "Thank you, the rest is complete. Please value the relay with its maker's figure and resubmit."
# How the supplier answers: its own factor for the relay, from the maker's declaration, and the line marked
# supplier-specific. Invented demo values, like SUPPLIER_FACTORS.
RELAY_MATERIAL_NO = 18
RELAY_FACTOR = {
    "name_zh": "磁保持继电器 60 A",
    "name_en": "60 A latching relay",
    "value": "0.46",
    "low": "0.41",
    "high": "0.51",
    "unit": "kgCO2e/piece",
    "source": "Illustrative demo value standing in for the relay maker's ISO 14067 declaration (not a real one)",
    "notes": "50 g relay with silver-alloy contacts; cradle to the maker's gate.",
}
RELAY_LINE_NOTES = "60 A latching relay; factor from the relay maker's declaration (asked for in the review)"
MAIN_V2_NOTE = "Version 2: the relay is valued with its maker's declared footprint, as asked."
STATEMENT = {
    "scope": "Cradle-to-gate partial carbon footprint of one DDZY-D1 single-phase smart meter made at the Demo "
    "plant in 2025: the 32 materials of the bill of materials with their inbound transport, the 26 manufacturing "
    "and support stages (metered electricity), fuels and waste, as submitted in version 2.",
    "opinion_text": "Based on the procedures performed and the evidence obtained, nothing has come to our attention "
    "that causes us to believe that the carbon footprint of version 2 is not fairly stated, in all material "
    "respects, in accordance with ISO 14067:2018. (Demo statement.)",
}

# The supplier's variant with a 4G module: the same bill of materials, made on a separate line of the plant
# (its own site, so its electricity entered by hand does not meet the main line's meters), 2025.
PRODUCT_VARIANT = {
    "name": "单相智能电能表（4G 模块）/ Single-phase smart meter with 4G module",
    "model_code": "DDZY-D2",
    "mass_kg": "0.68",
    "description": "DDZY-D1 with a 4G communication module, for remote reading (demo).",
}
SITE_VARIANT = {
    "code": "demo-plant-4g",
    "name": "Demo plant, 4G meter line",
    "address": "Hangzhou, Zhejiang (fictitious)",
    "grid_region": "East China grid",
}
STUDY_VARIANT = {
    "name": "DDZY-D2 single-phase smart meter with 4G module, 2025",
    "units_produced": "150000",
    "description": "Demo study of the 4G variant: the DDZY-D1 bill of materials and each stage's electricity "
    "for 2025 entered by hand (the line's sub-meters are not connected yet).",
}
GRID_FACTOR_VARIANT = ("China grid electricity factors", "2026.1", "electricity.cn.east.2023")
VARIANT_V1_NOTE = "2025 footprint of the DDZY-D2 meter; electricity from the line's monthly sub-meter notes."
VARIANT_V1_COMMENTS = (
    Comment(
        "material/17",
        "The 4G module brings its own DC-DC converter and LDO: two power conversion chips per meter is the "
        "DDZY-D1 figure. Please check the bill of materials of the 4G variant.",
    ),
    Comment(
        "stage/19",
        "High-temperature aging is one hand-entered total for the year, the same per meter as the DDZY-D1 line, "
        "although the 4G meters age for 48 h instead of 24 h. Please enter the sub-meter's monthly values.",
    ),
)
