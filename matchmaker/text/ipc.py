"""Chinese descriptions of the IPC subclasses the region's patents use most.

Added to a patent's text so that a need saying "电动车辆" can meet a patent classified B60L
even when its abstract never says so. Unknown subclasses contribute only their code.
"""

from __future__ import annotations

import re

IPC_SUBCLASSES: dict[str, str] = {
    "A01B": "土壤耕作 农业机械",
    "A01C": "种植 播种 施肥",
    "A01D": "收获 割草",
    "A01G": "园艺 林业 浇水 草原",
    "A01K": "畜牧业 养殖 动物饲养",
    "A01N": "杀虫剂 除草剂 植物生长调节剂",
    "A23C": "乳制品 乳 奶酪",
    "A23K": "动物饲料 饲草",
    "A23L": "食品 食料 营养",
    "A61K": "医用 药物 配制品",
    "A61P": "化合物或药物制剂的治疗活性",
    "B01D": "分离 过滤 除尘 蒸发 结晶",
    "B01J": "化学或物理方法 催化剂 胶体",
    "B02C": "破碎 粉碎 研磨",
    "B03B": "湿法或干法分离固体物料 选矿",
    "B03C": "磁选 静电分离",
    "B03D": "浮选",
    "B07B": "筛选 风选",
    "B08B": "清洁 清洗",
    "B09B": "固体废物处理",
    "B21B": "金属轧制 轧钢",
    "B22D": "金属铸造 连铸",
    "B22F": "金属粉末加工 粉末冶金 增材制造",
    "B23K": "焊接 激光加工 切割",
    "B23P": "金属加工 组合加工",
    "B24B": "磨削 抛光",
    "B25J": "机械手 工业机器人",
    "B28B": "黏土或其他陶瓷成分成型",
    "B29C": "塑料成型 连接",
    "B33Y": "增材制造 3D打印",
    "B60K": "车辆动力装置 传动",
    "B60L": "电动车辆动力装置 电动汽车 充电 换电",
    "B60W": "车辆驾驶控制 自动驾驶",
    "B61L": "铁路交通管理 信号",
    "B64C": "飞机 直升机 无人机",
    "B64D": "飞行器装备",
    "B64U": "无人驾驶飞行器 无人机",
    "B65G": "输送 装卸 仓储",
    "C01B": "非金属元素 化合物 氢 碳",
    "C01F": "稀土金属化合物 铝 镁 钙化合物",
    "C01G": "含金属化合物",
    "C02F": "水 废水 污水处理",
    "C03C": "玻璃 釉 搪瓷",
    "C04B": "石灰 水泥 混凝土 陶瓷 耐火材料",
    "C05F": "有机肥料",
    "C05G": "肥料混合物 土壤调理",
    "C07C": "无环或碳环化合物",
    "C08F": "高分子化合物 聚合",
    "C08K": "配料 添加剂",
    "C08L": "高分子化合物组合物",
    "C09D": "涂料 油漆",
    "C09G": "抛光组合物 抛光粉",
    "C09K": "发光材料 各种应用材料",
    "C10B": "含碳物料干馏 炼焦",
    "C10G": "烃油裂化 煤制油",
    "C10J": "固体含碳物料气化 煤气化",
    "C10L": "燃料 天然气 煤",
    "C12M": "酶学或微生物学装置 发酵罐",
    "C12N": "微生物 酶 基因工程",
    "C21B": "炼铁 高炉",
    "C21C": "炼钢 转炉",
    "C21D": "钢铁热处理 淬火 退火",
    "C22B": "金属冶炼 精炼 稀土提取 湿法冶金",
    "C22C": "合金 稀土合金",
    "C22F": "有色金属热处理",
    "C23C": "金属镀覆 涂层 表面处理",
    "C23F": "金属防腐",
    "C25B": "电解工艺 电解水制氢",
    "C25C": "电解法生产金属 电解铝 熔盐电解",
    "C25D": "电镀",
    "D01F": "人造纤维 碳纤维",
    "D01G": "纤维预处理 羊绒",
    "D06M": "纤维 织物处理",
    "E02D": "基础 地基",
    "E21B": "钻井 油气开采",
    "E21C": "采矿 采煤机",
    "E21D": "竖井 巷道 隧道 液压支架",
    "E21F": "矿井安全 通风 瓦斯 防尘",
    "F01K": "蒸汽动力装置 余热发电",
    "F03D": "风力发动机 风电 风电叶片 变桨",
    "F16C": "轴承 轴",
    "F16H": "传动装置 齿轮箱",
    "F17C": "压缩气体 液化气体容器 储氢",
    "F22B": "锅炉",
    "F23C": "燃烧 燃烧器",
    "F23J": "烟气处理 除尘",
    "F24S": "太阳能集热器 光热",
    "F27B": "窑 炉 烧结炉",
    "F27D": "炉窑零部件",
    "F28D": "换热器 换热",
    "G01M": "机器结构静平衡或动平衡测试 振动测试",
    "G01N": "借助测定材料的化学或物理性质来测试或分析材料 检测",
    "G01R": "测量电变量 测量磁变量",
    "G01S": "无线电定位 激光雷达 北斗导航",
    "G01V": "地球物理 勘探",
    "G05B": "控制或调节系统 自动控制",
    "G05D": "非电变量的控制 无人驾驶控制",
    "G06F": "电数字数据处理 计算机",
    "G06N": "基于特定计算模型的计算机系统 神经网络 人工智能",
    "G06Q": "管理 商业 数据处理",
    "G06T": "图像数据处理 图像识别",
    "G06V": "图像或视频识别 机器视觉",
    "G08B": "报警 信号 监测",
    "G08G": "交通控制系统",
    "H01B": "电缆 导体 绝缘体",
    "H01F": "磁体 电感 变压器 永磁材料",
    "H01G": "电容器 超级电容",
    "H01L": "半导体器件 光伏电池",
    "H01M": "电池 燃料电池 液流电池 储能",
    "H02J": "供电 配电 储能 电网",
    "H02K": "电机 发电机 永磁电机",
    "H02M": "变流 逆变器",
    "H02S": "光伏发电 光伏组件",
    "H04L": "数字信息传输 通信网络",
    "H04N": "图像通信 视频",
    "H04W": "无线通信网络",
    "Y02E": "减少温室气体排放 能源",
}

_SUBCLASS = re.compile(r"^\s*([A-HY]\d{2}[A-Z])")


def subclass(code: str) -> str | None:
    """The four-character subclass of an IPC code (``"H01F 1/057"`` -> ``"H01F"``)."""
    match = _SUBCLASS.match((code or "").upper())
    return match.group(1) if match else None


def describe(codes: list[str]) -> str:
    """A short text naming each distinct subclass of ``codes``, described where we know it."""
    parts: list[str] = []
    seen: set[str] = set()
    for code in codes:
        sub = subclass(code)
        if not sub or sub in seen:
            continue
        seen.add(sub)
        text = IPC_SUBCLASSES.get(sub)
        parts.append(f"{sub} {text}" if text else sub)
    return "；".join(parts)
