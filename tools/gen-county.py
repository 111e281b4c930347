#!/usr/bin/python3
# gen-county.py: writes a county's organisation (org.json), event categories (categories.json)
# and admitted-items registry (admission.json, 事项准入) for gridloop's org model
# (common/gl_org.h), reproducibly from the tables below.
#
# Usage:  /usr/bin/python3 tools/gen-county.py --out deploy/yunyang [--seed N]
#
# The same tables and seed give the same bytes on every run (the files are committed and a unit
# test regenerates them and compares). Python 3 standard library only.
#
# To make another county, copy this file and edit the knobs in the first section:
#
#   COUNTY       administrative division code (GB/T 2260) and name.
#   STREETS      each street (街道): id (two capital letters, the prefix of every id below it),
#                name, and its communities (社区) in order, each with its real name and the
#                number of grids (网格) it is divided into. Community ids are <street>-NN, grid
#                ids <community>-NN, numbered in the order given here.
#   BOARDS       the four boards (板块) every street has, with their id suffix (<street>-B1 ...).
#   DEPARTMENTS  county departments and public utilities that handle dispatched work.
#   MEDIATION    the four mediation channels (四调衔接) and the unit each belongs to.
#   ACTION_ROLES who on a unit's staff may give an operation for it (岗位权限).
#   STAFFING     how many people each kind of unit has: the grid's "1+3+N" team (N drawn from
#                HELPER_WEIGHTS), community workers, centre and board posts, department
#                liaisons, mediators.
#   CATEGORIES   the event categories: code LL.SS, name, default board, default handler per
#                tier, priority, typical 三事 type, and whether mediation applies; ADVICE
#                gives the advice a 私事 of the category is closed with.
#   ADMISSION    the admitted-items registry (事项准入): which categories of work a community
#                or grid may be given, on which list (依法履职, 依法协助, 证明; or the 负面清单
#                of work it must never be given), the owning department, the legal basis and
#                the approval and expiry dates.
#   SURNAMES, GIVEN  the characters people's names are drawn from.
#
# Everything random (names, N per grid, posts per board) comes from one random.Random(seed); the
# default seed is fixed. Changing a table changes the people drawn after that point, so
# regenerate, review the diff and commit the files together. ADMISSION draws nothing at random.

import argparse
import json
import os
import random
import sys

# ---------------------------------------------------------------------------------------------
# Knobs

DEFAULT_SEED = 500235

COUNTY = {"code": "500235", "name": "云阳县"}

# Yunyang's four urban streets and their communities. 双江街道's nine communities are the ones
# named in its published profile; 青龙街道's are the first ten of a published list of its
# community names; 人和街道's and 盘龙街道's are plausible names for the urban communities of the
# two former towns. Replace them from the county's register when it is at hand (ids follow the
# order here, so keep existing ones in place and add new ones at the end). 242 grids in all.
STREETS = [
    ("SJ", "双江街道", [
        ("外滩社区", 10), ("桂湾社区", 11), ("莲花池社区", 9), ("杏家湾社区", 10),
        ("大雁社区", 9), ("黄金包社区", 10), ("梨园社区", 9), ("稻场社区", 10),
        ("蜀光社区", 10),
    ]),
    ("QL", "青龙街道", [
        ("青龙嘴社区", 9), ("磨子岭社区", 8), ("柏杨湾社区", 9), ("民德社区", 8),
        ("张家坝社区", 8), ("天鹅社区", 9), ("白鹤社区", 8), ("白云社区", 8),
        ("滨江社区", 9), ("复兴社区", 8),
    ]),
    ("RH", "人和街道", [
        ("人和社区", 8), ("龙洞社区", 7), ("朝阳社区", 7), ("金竹社区", 6),
        ("天台社区", 6), ("向阳社区", 6),
    ]),
    ("PL", "盘龙街道", [
        ("盘龙社区", 7), ("长江社区", 6), ("龙湾社区", 6), ("五峰社区", 6),
        ("月亮湾社区", 5),
    ]),
]
TOTAL_GRIDS = 242           # checked below, so an edit to STREETS cannot change it silently

# The four boards (板块) of every street, in dispatch order; "board" is the key categories use.
BOARDS = [
    ("B1", "party", "党的建设板块"),
    ("B2", "economy", "经济发展板块"),
    ("B3", "livelihood", "民生服务板块"),
    ("B4", "safety", "平安法治板块"),
]

# County departments and utilities (kind "department"). Ids are stable: categories and other
# configuration name them.
DEPARTMENTS = [
    ("D-POLICE", "县公安局"),
    ("D-JUSTICE", "县司法局"),
    ("D-PETITION", "县信访办"),
    ("D-POLLAW", "县委政法委"),
    ("D-URBAN", "县城市管理局"),
    ("D-HOUSING", "县住房城乡建委"),
    ("D-ENV", "县生态环境局"),
    ("D-CIVIL", "县民政局"),
    ("D-HEALTH", "县卫生健康委"),
    ("D-EMERGENCY", "县应急管理局"),
    ("D-FIRE", "县消防救援大队"),
    ("D-MARKET", "县市场监管局"),
    ("D-HRSS", "县人力社保局"),
    ("D-NATRES", "县规划自然资源局"),
    ("D-WATER", "县水利局"),
    ("D-TRANSPORT", "县交通运输委"),
    ("D-EDU", "县教委"),
    ("D-ECON", "县经济信息委"),
    ("D-AGRI", "县农业农村委"),
    ("D-ORG", "县委组织部"),
    ("D-CAC", "县委网信办"),
    ("D-POWER", "国网云阳供电公司"),
    ("D-WATERSUPPLY", "云阳县自来水公司"),
    ("D-GAS", "云阳县燃气公司"),
]

# The hotline (a department that reports residents' calls and calls them back), built last.
HOTLINE = ("D-HOTLINE", "县12345政务服务便民热线")

# 岗位权限: who on a unit's staff may give an operation for it. Columns: operation, the acting
# unit's kind, the roles of that kind allowed (actor.person must hold one). An operation and
# kind not listed need no person.
GRID_STAFF = ["grid_leader", "grid_worker", "grid_worker_part_time", "grid_instructor"]
ACTION_ROLES = [
    ("sign", "board", ["board_lead", "board_staff"]),                  # A岗, B岗 sign for it
    ("decide_extension", "centre", ["commander", "duty_officer"]),    # 指挥长, 值班员 decide
    ("verify", "grid", GRID_STAFF),                                   # the reporting grid's staff
    ("verify", "community", ["community_staff"]),
    ("verify", "centre", ["commander", "duty_officer"]),
    ("confirm", "grid", ["grid_leader"]),                             # 网格长 confirms
    ("confirm", "community", ["community_staff"]),
]

# The four mediation channels (四调衔接): id, channel, name, owning unit (None: the county).
MEDIATION = [
    ("M-COURT", "court", "县人民法院诉调对接中心", None),
    ("M-PROCURATORATE", "procuratorate", "县人民检察院检调对接工作室", None),
    ("M-POLICE", "police", "县公安局警调对接室", "D-POLICE"),
    ("M-PETITION", "petitions", "县信访办访调对接室", "D-PETITION"),
]

STAFFING = {
    # Every grid: 1 网格长, 1 专职网格员, 1 兼职网格员, 1 网格指导员, then N helpers
    # (在职党员、志愿者); N is drawn with these weights (mean 1.37: about 1300 grid staff).
    "helper_weights": {1: 70, 2: 23, 3: 7},
    "community_staff": (3, 5),      # 社区工作者 per community, inclusive range
    "street_centre": {"commander": 1, "duty_officer": 2},   # 指挥长, 值班员
    "board_staff": (2, 3),          # B岗 per board (plus 1 A岗, board_lead)
    "county_centre": {"commander": 1, "duty_officer": 3},
    "assessors": 2,                 # 考核办
    "department_staff": 2,          # 联络员 who sign for and handle dispatched work
    "mediators": 2,                 # per mediation channel
}

# Event categories. Columns: code, name, board, grid handler, community handler, street handler
# ("C" = the street's command centre, otherwise the board's suffix), county handler (unit id),
# priority, 三事 (major 大事 / minor 小事 / private 私事), dispute (mediation applies).
GROUPS = {
    "01": "矛盾纠纷", "02": "社会治安", "03": "安全隐患", "04": "特殊人群", "05": "城市管理",
    "06": "民生服务", "07": "助企服务", "08": "党的建设", "09": "社情民意", "10": "突发事件",
    "99": "其他",
}
GL, GW, GI, GH = "grid_leader", "grid_worker", "grid_instructor", "helper"
CS = "community_staff"
CATEGORIES = [
    # 01 矛盾纠纷: mediated first at the grid, then the community, then 平安法治.
    ("01.01", "婚姻家庭纠纷", "safety", GL, CS, "B4", "D-JUSTICE", "P3", "private", True),
    ("01.02", "邻里纠纷", "safety", GL, CS, "B4", "D-JUSTICE", "P3", "private", True),
    ("01.03", "房屋宅基地纠纷", "safety", GL, CS, "B4", "D-NATRES", "P3", "minor", True),
    ("01.04", "山林土地纠纷", "safety", GL, CS, "B4", "D-NATRES", "P3", "minor", True),
    ("01.05", "劳资纠纷（欠薪）", "safety", GW, CS, "B4", "D-HRSS", "P2", "major", True),
    ("01.06", "征地拆迁纠纷", "safety", GW, CS, "B4", "D-HOUSING", "P4", "major", True),
    ("01.07", "物业管理纠纷", "safety", GL, CS, "B4", "D-HOUSING", "P3", "minor", True),
    ("01.08", "医患纠纷", "safety", GW, CS, "B4", "D-HEALTH", "P3", "major", True),
    ("01.09", "合同和经济纠纷", "safety", GL, CS, "B4", "D-JUSTICE", "P3", "private", True),
    ("01.10", "消费纠纷", "safety", GL, CS, "B4", "D-MARKET", "P3", "private", True),
    ("01.11", "信访问题", "safety", GL, CS, "B4", "D-PETITION", "P3", "major", True),
    ("01.12", "群体性纠纷苗头", "safety", GL, CS, "C", "D-POLLAW", "P1", "major", True),
    ("01.99", "其他矛盾纠纷", "safety", GL, CS, "B4", "D-JUSTICE", "P3", "minor", True),
    # 02 社会治安
    ("02.01", "治安隐患和线索", "safety", GW, CS, "B4", "D-POLICE", "P3", "major", False),
    ("02.02", "刑事治安案件", "safety", GW, CS, "B4", "D-POLICE", "P1", "major", False),
    ("02.03", "涉毒线索", "safety", GW, CS, "B4", "D-POLICE", "P2", "major", False),
    ("02.04", "邪教和非法宗教活动", "safety", GW, CS, "B4", "D-POLICE", "P2", "major", False),
    ("02.05", "电信网络诈骗", "safety", GW, CS, "B4", "D-POLICE", "P2", "major", False),
    ("02.99", "其他治安问题", "safety", GW, CS, "B4", "D-POLICE", "P3", "major", False),
    # 03 安全隐患
    ("03.01", "消防安全隐患", "safety", GW, CS, "B4", "D-FIRE", "P2", "major", False),
    ("03.02", "安全生产隐患", "safety", GW, CS, "B4", "D-EMERGENCY", "P2", "major", False),
    ("03.03", "燃气安全隐患", "safety", GW, CS, "B4", "D-GAS", "P1", "major", False),
    ("03.04", "危房和房屋安全", "safety", GW, CS, "B4", "D-HOUSING", "P2", "major", False),
    ("03.05", "地质灾害隐患", "safety", GW, CS, "B4", "D-NATRES", "P2", "major", False),
    ("03.06", "防汛隐患", "safety", GW, CS, "B4", "D-WATER", "P2", "major", False),
    ("03.07", "城市积水内涝", "safety", GW, CS, "B4", "D-URBAN", "P2", "major", False),
    ("03.08", "食品药品安全", "safety", GW, CS, "B4", "D-MARKET", "P2", "major", False),
    ("03.09", "电梯等特种设备安全", "safety", GW, CS, "B4", "D-MARKET", "P2", "major", False),
    ("03.99", "其他安全隐患", "safety", GW, CS, "B4", "D-EMERGENCY", "P3", "major", False),
    # 04 特殊人群服务管理
    ("04.01", "严重精神障碍患者", "safety", GW, CS, "B4", "D-HEALTH", "P2", "major", False),
    ("04.02", "社区矫正对象", "safety", GW, CS, "B4", "D-JUSTICE", "P3", "major", False),
    ("04.03", "刑满释放人员", "safety", GW, CS, "B4", "D-JUSTICE", "P3", "major", False),
    ("04.04", "吸毒人员", "safety", GW, CS, "B4", "D-POLICE", "P3", "major", False),
    ("04.05", "重点青少年", "safety", GW, CS, "B4", "D-POLLAW", "P3", "major", False),
    # 05 城市管理 (GB/T 30428.2 events: 市容环境, 宣传广告, 施工管理, 街面秩序; then 部件
    # damage by class). Enforcement goes to 平安法治, upkeep to 民生服务.
    ("05.01", "市容环境（暴露垃圾、道路不洁）", "livelihood", GW, CS, "B3", "D-URBAN", "P3",
     "minor", False),
    ("05.02", "宣传广告（非法小广告）", "livelihood", GW, CS, "B3", "D-URBAN", "P3", "minor",
     False),
    ("05.03", "施工管理（扰民、扬尘、占道）", "safety", GW, CS, "B4", "D-HOUSING", "P3", "major",
     False),
    ("05.04", "街面秩序（占道经营、流动摊贩）", "safety", GW, CS, "B4", "D-URBAN", "P3", "minor",
     False),
    ("05.05", "私搭乱建", "safety", GW, CS, "B4", "D-URBAN", "P3", "major", False),
    ("05.06", "公用设施损坏（井盖、路灯、消火栓）", "livelihood", GW, CS, "B3", "D-URBAN", "P2",
     "major", False),
    ("05.07", "道路交通设施损坏", "livelihood", GW, CS, "B3", "D-TRANSPORT", "P3", "major",
     False),
    ("05.08", "噪声油烟扰民", "safety", GL, CS, "B4", "D-ENV", "P3", "minor", False),
    # 06 民生服务
    ("06.01", "社会保险", "livelihood", GW, CS, "B3", "D-HRSS", "P3", "major", False),
    ("06.02", "就业创业", "livelihood", GW, CS, "B3", "D-HRSS", "P3", "major", False),
    ("06.03", "医疗卫生", "livelihood", GW, CS, "B3", "D-HEALTH", "P3", "major", False),
    ("06.04", "教育服务", "livelihood", GW, CS, "B3", "D-EDU", "P3", "major", False),
    ("06.05", "住房保障", "livelihood", GW, CS, "B3", "D-HOUSING", "P3", "major", False),
    ("06.06", "养老托育（一老一小）", "livelihood", GH, CS, "B3", "D-CIVIL", "P3", "minor",
     False),
    ("06.07", "社会救助（低保、残疾、特困）", "livelihood", GW, CS, "B3", "D-CIVIL", "P3",
     "major", False),
    ("06.08", "供电问题", "livelihood", GW, CS, "B3", "D-POWER", "P2", "major", False),
    ("06.09", "供水问题", "livelihood", GW, CS, "B3", "D-WATERSUPPLY", "P2", "major", False),
    ("06.10", "供气问题", "livelihood", GW, CS, "B3", "D-GAS", "P2", "major", False),
    ("06.99", "其他民生诉求", "livelihood", GW, CS, "B3", "D-CIVIL", "P3", "minor", False),
    # 07 助企服务
    ("07.01", "企业诉求", "economy", GI, CS, "B2", "D-ECON", "P3", "major", False),
    ("07.02", "项目推进", "economy", GI, CS, "B2", "D-ECON", "P4", "major", False),
    ("07.03", "农业和产业发展", "economy", GI, CS, "B2", "D-AGRI", "P3", "major", False),
    ("07.04", "市场主体登记和经营", "economy", GI, CS, "B2", "D-MARKET", "P3", "major", False),
    # 08 党的建设
    ("08.01", "党员管理和服务", "party", GL, CS, "B1", "D-ORG", "P3", "minor", False),
    ("08.02", "在职党员报到服务", "party", GL, CS, "B1", "D-ORG", "P3", "minor", False),
    ("08.03", "基层党组织建设", "party", GI, CS, "B1", "D-ORG", "P4", "minor", False),
    # 09 社情民意
    ("09.01", "意见建议", "livelihood", GL, CS, "B3", "D-PETITION", "P3", "minor", False),
    ("09.02", "政策咨询", "livelihood", GW, CS, "B3", "D-CIVIL", "P3", "private", False),
    ("09.03", "网络舆情", "party", GI, CS, "B1", "D-CAC", "P2", "major", False),
    ("09.04", "社区议事协商", "livelihood", GL, CS, "B3", "D-CIVIL", "P4", "minor", False),
    # 10 突发事件: straight to the street's command centre (and the county's), wartime capable.
    ("10.01", "自然灾害", "safety", GW, CS, "C", "D-EMERGENCY", "P1", "major", False),
    ("10.02", "事故灾难", "safety", GW, CS, "C", "D-EMERGENCY", "P1", "major", False),
    ("10.03", "公共卫生事件", "livelihood", GW, CS, "C", "D-HEALTH", "P1", "major", False),
    ("10.04", "社会安全事件", "safety", GW, CS, "C", "D-POLICE", "P1", "major", False),
    ("10.05", "火灾", "safety", GW, CS, "C", "D-FIRE", "P1", "major", False),
    # 99 其他: triaged by the command centres.
    ("99.01", "其他事项", "livelihood", GW, CS, "C", "CTY-C", "P3", "minor", False),
]

# The advice a grid gives with a 私事 (private matter) it closes: what the residents can do
# themselves and where to turn if that fails. Every category that is, or may be re-triaged as,
# a 私事 has its own; the dispatcher publishes it with the closing and keeps it on the event.
ADVICE = {
    "01.01": "婚姻家庭纠纷属私事：网格员已引导双方自行协商；协商不成可申请社区人民调解委员会调解，"
             "或向人民法院起诉",
    "01.02": "邻里纠纷属私事：网格员已引导双方本着互谅互让自行协商；协商不成可申请社区人民调解",
    "01.03": "房屋宅基地纠纷：网格员已引导双方依据确权资料自行协商；协商不成可申请乡镇（街道）"
             "调处或依法诉讼",
    "01.04": "山林土地纠纷：网格员已引导双方依据权属证明自行协商；协商不成可申请街道调处或依法诉讼",
    "01.07": "物业管理纠纷：网格员已引导业主与物业服务企业依据物业服务合同协商；协商不成可申请"
             "社区调解或向住建部门投诉",
    "01.09": "合同和经济纠纷属私事：网格员已告知依据合同约定自行协商；协商不成可申请调解、仲裁或"
             "向人民法院起诉",
    "01.10": "消费纠纷属私事：网格员已引导与经营者协商；协商不成可拨打12315投诉或申请调解",
    "01.99": "其他矛盾纠纷：网格员已引导当事人自行协商；协商不成可申请社区人民调解",
    "09.02": "政策咨询已由网格员当面解答并告知办理渠道（12345热线、政务服务中心）",
}

# The admitted-items registry (事项准入). A community or grid may be given an event's work only
# if an item of list duty (依法履职), assist (依法协助) or certify (证明) covers its category
# and tier and is in effect (approved <= day < expires; dates are China Standard Time days). An
# item on the negative list (负面清单) covers work a community or grid must never be given; its
# basis says why. Columns: id, name, list, categories, levels, owning department, basis,
# approved, expires. Ids are stable: refusals and other configuration name them, so add new items
# at the end and let old ones expire rather than renumbering.
#
# Following the Chongqing 村(社区)工作准入 practice ("四清单": 依法履职, 依法协助, 负面, 证明;
# new items approved by the county government for five years). Categories left off every list
# (utilities' supply faults, 网络舆情, 农业产业, 教育服务, 99 其他) go to the street's centre.
CY, GR = "community", "grid"
RJZ = "《中华人民共和国城市居民委员会组织法》第三条"
RMTJ = "《中华人民共和国人民调解法》第八条"
ZMYJ = "《民政部关于改进和规范基层群众性自治组织出具证明工作的指导意见》"
ZF = "社区不是行政执法主体，不得承担；执法由具有行政处罚权的行政机关在法定职权范围内实施" \
     "（《中华人民共和国行政处罚法》第十七条）"
P23 = ("2023-03-01", "2028-03-01")
P24 = ("2024-01-01", "2029-01-01")
ADMISSION = [
    # 依法履职: the community's own work under the law.
    ("A-001", "民间纠纷人民调解", "duty",
     ["01.01", "01.02", "01.03", "01.04", "01.07", "01.09", "01.10", "01.99"], [CY],
     "D-JUSTICE", RMTJ + "；" + RJZ, P23),
    ("A-002", "矛盾纠纷排查和初步调解", "duty",
     ["01.01", "01.02", "01.07", "01.09", "01.10", "01.99"], [GR],
     "D-JUSTICE", RMTJ, P23),
    ("A-003", "群众性消防工作（防火检查、隐患劝改）", "duty", ["03.01"], [CY, GR],
     "D-FIRE", "《中华人民共和国消防法》第三十二条", P23),
    ("A-004", "社区党组织建设和党员教育管理服务", "duty", ["08.01", "08.02", "08.03"], [CY],
     "D-ORG", "《中国共产党支部工作条例（试行）》", P23),
    ("A-005", "社情民意信息采集和反映", "duty", ["09.01", "06.99"], [CY, GR],
     "D-CIVIL", RJZ, P23),
    ("A-006", "法律法规和政策宣传、咨询解答", "duty", ["09.02"], [CY, GR],
     "D-CIVIL", RJZ, P23),
    ("A-007", "社区议事协商", "duty", ["09.04"], [CY],
     "D-CIVIL", "《关于加强城乡社区协商的意见》；" + RJZ, P23),
    # 依法协助: work a department keeps, with which the community (and its grids) helps.
    ("A-008", "协助调解劳资纠纷（欠薪线索收集）", "assist", ["01.05"], [CY],
     "D-HRSS", "《中华人民共和国劳动争议调解仲裁法》第十条；《保障农民工工资支付条例》", P23),
    ("A-009", "协助化解征地拆迁矛盾", "assist", ["01.06"], [CY],
     "D-HOUSING", "《国有土地上房屋征收与补偿条例》", P23),
    ("A-010", "协助医疗纠纷人民调解", "assist", ["01.08"], [CY],
     "D-HEALTH", "《医疗纠纷预防和处理条例》", P23),
    ("A-011", "协助信访矛盾化解", "assist", ["01.11"], [CY],
     "D-PETITION", "《信访工作条例》", P23),
    ("A-012", "矛盾纠纷苗头排查报告", "assist", ["01.12"], [CY, GR],
     "D-POLLAW", RJZ, P23),
    ("A-013", "治安隐患巡查和线索报告", "assist", ["02.01", "02.03", "02.04", "02.99"], [CY, GR],
     "D-POLICE", RJZ, P23),
    ("A-014", "反电信网络诈骗宣传", "assist", ["02.05"], [CY, GR],
     "D-POLICE", "《中华人民共和国反电信网络诈骗法》", P23),
    ("A-015", "燃气安全隐患入户排查", "assist", ["03.03"], [CY, GR],
     "D-URBAN", "《城镇燃气管理条例》", P23),
    ("A-016", "房屋安全巡查（危房排查）", "assist", ["03.04"], [CY, GR],
     "D-HOUSING", "《城市危险房屋管理规定》", P23),
    ("A-017", "地质灾害群测群防", "assist", ["03.05"], [CY, GR],
     "D-NATRES", "《地质灾害防治条例》", P23),
    ("A-018", "汛期隐患巡查和群众转移", "assist", ["03.06", "03.07"], [CY, GR],
     "D-WATER", "《中华人民共和国防洪法》", P23),
    ("A-019", "安全隐患网格巡查报告", "assist", ["03.99"], [CY, GR],
     "D-EMERGENCY", "《中华人民共和国突发事件应对法》", P23),
    ("A-020", "协助严重精神障碍患者关爱帮扶", "assist", ["04.01"], [CY, GR],
     "D-HEALTH", "《中华人民共和国精神卫生法》", P23),
    ("A-021", "协助社区矫正", "assist", ["04.02"], [CY],
     "D-JUSTICE", "《中华人民共和国社区矫正法》第十二条", P23),
    ("A-022", "协助刑满释放人员安置帮教", "assist", ["04.03"], [CY, GR],
     "D-JUSTICE", RJZ, P23),
    ("A-023", "协助社区戒毒和社区康复", "assist", ["04.04"], [CY],
     "D-POLICE", "《中华人民共和国禁毒法》；《戒毒条例》", P23),
    ("A-024", "重点青少年关爱帮扶", "assist", ["04.05"], [CY, GR],
     "D-POLLAW", "《中华人民共和国预防未成年人犯罪法》", P23),
    ("A-025", "市容环境巡查和劝导", "assist", ["05.01", "05.02"], [CY, GR],
     "D-URBAN", "《城市市容和环境卫生管理条例》", P23),
    ("A-026", "公用设施损坏巡查报告", "assist", ["05.06", "05.07"], [CY, GR],
     "D-URBAN", RJZ, P23),
    ("A-027", "噪声油烟扰民劝导和调解", "assist", ["05.08"], [CY, GR],
     "D-ENV", "《中华人民共和国噪声污染防治法》", P23),
    ("A-028", "社会保险参保动员和政策宣传", "assist", ["06.01"], [CY, GR],
     "D-HRSS", "《中华人民共和国社会保险法》", P23),
    ("A-029", "协助就业援助和失业登记", "assist", ["06.02"], [CY],
     "D-HRSS", "《中华人民共和国就业促进法》", P23),
    ("A-030", "协助基本公共卫生服务", "assist", ["06.03"], [CY, GR],
     "D-HEALTH", "《中华人民共和国基本医疗卫生与健康促进法》", P23),
    ("A-031", "协助受理保障性住房申请", "assist", ["06.05"], [CY],
     "D-HOUSING", "《公共租赁住房管理办法》", P23),
    ("A-032", "养老托育服务（一老一小）", "assist", ["06.06"], [CY, GR],
     "D-CIVIL", "《中华人民共和国老年人权益保障法》", P23),
    ("A-033", "协助社会救助申请受理和入户调查", "assist", ["06.07"], [CY, GR],
     "D-CIVIL", "《社会救助暂行办法》", P23),
    ("A-034", "突发事件先期处置和群众转移", "assist",
     ["10.01", "10.02", "10.03", "10.04", "10.05"], [CY, GR],
     "D-EMERGENCY", "《中华人民共和国突发事件应对法》", P23),
    # 证明: certificates a community may issue (the rest were abolished).
    ("A-035", "家庭经济困难情况证明（申请社会救助）", "certify", ["06.07"], [CY],
     "D-CIVIL", "《社会救助暂行办法》；" + ZMYJ, P23),
    ("A-036", "居住情况证明（申请公共租赁住房）", "certify", ["06.05"], [CY],
     "D-HOUSING", ZMYJ, P23),
    ("A-037", "老年人和困境儿童家庭情况证明（申领补贴）", "certify", ["06.06"], [CY],
     "D-CIVIL", ZMYJ, P23),
    # 负面清单: never given to a community or grid; the basis is the reason.
    ("A-038", "城市管理行政执法（占道经营、私搭乱建、违规施工的查处）", "negative",
     ["05.03", "05.04", "05.05"], [CY, GR], "D-URBAN", ZF, P23),
    ("A-039", "安全生产行政执法（生产经营单位的监督检查和处罚）", "negative", ["03.02"],
     [CY, GR], "D-EMERGENCY",
     "安全生产监督检查和处罚由负有安全生产监督管理职责的部门实施（《中华人民共和国安全生产法》）；"
     + ZF, P23),
    ("A-040", "市场监管行政执法（食品药品、特种设备、无证无照经营的检查和查处）", "negative",
     ["03.08", "03.09", "07.04"], [CY, GR], "D-MARKET",
     "由县市场监管局依法实施（《中华人民共和国食品安全法》《中华人民共和国特种设备安全法》）；"
     + ZF, P23),
    ("A-041", "治安案件查处和刑事侦查", "negative", ["02.02"], [CY, GR], "D-POLICE",
     "由公安机关依法办理（《中华人民共和国治安管理处罚法》《中华人民共和国刑事诉讼法》），"
     "社区和网格只报告线索", P23),
    ("A-042", "招商引资、项目推进等经济发展指标任务", "negative", ["07.02"], [CY, GR], "D-ECON",
     "不得向社区下达招商引资、协税护税等经济指标或据此考核（《关于规范村级组织工作事务、"
     "机制牌子和证明事项的意见》）", P23),
    ("A-043", "开具无法定依据的证明", "negative", [], [CY, GR], "D-CIVIL",
     "没有法律法规依据的证明一律不得要求社区开具；需要的，由部门通过数据共享或告知承诺核实（"
     + ZMYJ + "）", P24),
    # Expired: the 2023-2025 pilot of 助企服务 through the communities was not renewed.
    ("A-044", "助企服务诉求收集和转办（试点）", "assist", ["07.01"], [CY],
     "D-ECON", "《优化营商环境条例》", ("2023-03-01", "2026-01-01")),
]

# Common surnames in north-east Chongqing, the more frequent repeated.
SURNAMES = (
    "王王李李张张刘刘陈陈杨杨黄赵周吴徐孙胡朱高何郭马罗罗梁宋郑谢唐唐冯董程曹袁邓彭彭"
    "谭谭向向冉冉牟秦秦熊熊廖邹余余蒋蔡魏叶杜夏钟汪田任姜范石姚江龚文雷黎易贺傅"
)
GIVEN = (
    "建国华明军平芳丽敏静燕红霞伟勇强磊洋涛斌波杰鹏辉刚娟英梅琴兰玲蓉萍雪婷倩丹莉亮林"
    "峰宇浩凯健超川渝春秋德富贵成祥福云海江金玉桂淑秀慧晓志文世永长正兴先光天中远思佳"
    "欣怡雨梦红艳清松柏琳莹俊豪欢翠凤碧"
)

# ---------------------------------------------------------------------------------------------
# Generation


class County:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.units = []
        self.people = []
        self.names = set()
        self.serial = {}

    def unit(self, uid, name, kind, parent, level, **extra):
        u = {"id": uid, "name": name, "kind": kind, "parent": parent, "level": level}
        u.update(extra)
        self.units.append(u)

    def pick(self, choices):
        return choices[int(self.rng.random() * len(choices))]

    def span(self, lo, hi):
        return lo + int(self.rng.random() * (hi - lo + 1))

    def weighted(self, weights):
        total = sum(weights.values())
        x = self.rng.random() * total
        for value in sorted(weights):
            x -= weights[value]
            if x < 0:
                return value
        return max(weights)

    def name(self):
        # A new full name: surname and one or two given characters, never repeated.
        while True:
            given = self.pick(GIVEN)
            if self.rng.random() < 0.7:
                given += self.pick(GIVEN)
            full = self.pick(SURNAMES) + given
            if full not in self.names and given[:1] != given[1:2]:
                self.names.add(full)
                return full

    def person(self, prefix, role, unit):
        self.serial[prefix] = self.serial.get(prefix, 0) + 1
        pid = "%s-%04d" % (prefix, self.serial[prefix])
        self.people.append({"id": pid, "name": self.name(), "role": role, "unit": unit})

    def staff(self, prefix, unit, posts):
        for role, count in posts.items():
            for _ in range(count):
                self.person(prefix, role, unit)


def build(seed):
    grids = sum(n for _, _, communities in STREETS for _, n in communities)
    if grids != TOTAL_GRIDS:
        sys.exit("gen-county.py: STREETS has %d grids; TOTAL_GRIDS says %d" % (grids, TOTAL_GRIDS))
    c = County(seed)
    s = STAFFING
    # The county, its centre and its assessment office.
    c.unit("CTY", COUNTY["name"], "county", None, "county")
    c.unit("CTY-C", "县基层治理指挥中心", "centre", "CTY", "county")
    c.staff("CY", "CTY-C", s["county_centre"])
    c.unit("CTY-ASSESS", "县考核办", "office", "CTY", "county")
    c.staff("CY", "CTY-ASSESS", {"assessor": s["assessors"]})
    # Departments and utilities, then the mediation channels.
    for did, name in DEPARTMENTS:
        c.unit(did, name, "department", "CTY", "county")
        c.staff("CY", did, {"department_staff": s["department_staff"]})
    for mid, channel, name, owner in MEDIATION:
        c.unit(mid, name, "mediation", owner or "CTY", "county", channel=channel)
        c.staff("CY", mid, {"mediator": s["mediators"]})
    # Streets: the centre, the four boards, then communities and their grids.
    for sid, sname, communities in STREETS:
        c.unit(sid, sname, "street", "CTY", "street")
        c.unit(sid + "-C", sname + "基层治理指挥中心", "centre", sid, "street")
        c.staff("ST", sid + "-C", s["street_centre"])
        for suffix, board, bname in BOARDS:
            bid = "%s-%s" % (sid, suffix)
            c.unit(bid, sname + bname, "board", sid, "street", board=board)
            c.staff("ST", bid, {"board_lead": 1, "board_staff": c.span(*s["board_staff"])})
        for ci, (cname, ngrids) in enumerate(communities, 1):
            cid = "%s-%02d" % (sid, ci)
            c.unit(cid, cname, "community", sid, "community")
            c.staff("CM", cid, {"community_staff": c.span(*s["community_staff"])})
            for gi in range(1, ngrids + 1):
                gid = "%s-%02d" % (cid, gi)
                c.unit(gid, "%s第%d网格" % (cname, gi), "grid", cid, "grid")
                c.staff("GW", gid, {
                    "grid_leader": 1, "grid_worker": 1, "grid_worker_part_time": 1,
                    "grid_instructor": 1, "helper": c.weighted(s["helper_weights"]),
                })
    # The 12345 hotline takes residents' calls and makes their satisfaction callbacks (回访).
    # It comes last so that every id and name drawn before it stays as it was.
    c.unit(HOTLINE[0], HOTLINE[1], "department", "CTY", "county")
    c.staff("CY", HOTLINE[0], {"department_staff": s["department_staff"]})
    return c


def actions():
    return [{"op": op, "unit": kind, "roles": roles} for op, kind, roles in ACTION_ROLES]


def categories():
    out = []
    for code, name, board, grid, community, street, county, prio, sanshi, dispute in CATEGORIES:
        out.append({
            "code": code, "name": name, "group": GROUPS[code[:2]], "board": board,
            "handler": {"grid": grid, "community": community, "street": street,
                        "county": county},
            "priority": prio, "sanshi": sanshi, "dispute": dispute,
        })
        if code in ADVICE:
            out[-1]["advice"] = ADVICE[code]
    return out


def admission():
    # Check the table against the others, so an edit cannot write a registry the loader refuses.
    codes = {row[0] for row in CATEGORIES}
    departments = {did for did, _ in DEPARTMENTS}
    ids = set()
    out = []
    for aid, name, lst, cats, levels, dept, basis, (approved, expires) in ADMISSION:
        bad = [c for c in cats if c not in codes]
        if aid in ids or bad or dept not in departments or not approved < expires:
            sys.exit("gen-county.py: ADMISSION item %s: duplicate id, unknown category %s, "
                     "unknown department %s or expiry before approval" % (aid, bad, dept))
        ids.add(aid)
        out.append({
            "id": aid, "name": name, "list": lst, "categories": cats, "levels": levels,
            "department": dept, "basis": basis, "approved": approved, "expires": expires,
        })
    return out


def dumps(value):
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def write(path, head, lists):
    # One entry per line, so a diff shows exactly which units, people or categories changed.
    parts = ["{"]
    for key, value in head:
        parts.append('"%s": %s,' % (key, dumps(value)))
    for li, (key, items) in enumerate(lists):
        parts.append('"%s": [' % key)
        parts.append(",\n".join("    " + dumps(item) for item in items))
        parts.append("]" + ("," if li + 1 < len(lists) else ""))
    parts.append("}")
    text = "\n".join(parts) + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(
        description="Write a county's org.json, categories.json and admission.json for "
                    "gridloop.")
    parser.add_argument("--out", required=True, help="directory to write the three files into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help="random seed for names and staffing (default %d)" % DEFAULT_SEED)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    c = build(args.seed)
    write(os.path.join(args.out, "org.json"), [("county", COUNTY)],
          [("units", c.units), ("people", c.people), ("actions", actions())])
    write(os.path.join(args.out, "categories.json"), [], [("categories", categories())])
    write(os.path.join(args.out, "admission.json"), [], [("items", admission())])


if __name__ == "__main__":
    main()
