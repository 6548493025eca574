"""The demo's content in one place, in a fixed order (need references follow this order).

Publication numbers are invented and kept in ranges documented here so they never look like
a real family: CN1190BBNNNA/B for inventions and CN2190BBNNNU for utility models, where BB is the
industry block (01 rare earth, 02 steel and aluminium, 03 hydrogen and storage, 04 wind power,
05 mining trucks, 06 coal-based materials, 07 agriculture, 08 AI and drones); the English
filings use US119001NN B2 and WO2023/2024 19NNNN A1 numbers.
"""

from __future__ import annotations

from . import (
    needs_energy,
    needs_materials,
    needs_rural_digital,
    patents_agriculture,
    patents_ai_drones,
    patents_coal,
    patents_english,
    patents_hydrogen,
    patents_mining_trucks,
    patents_rare_earth,
    patents_steel_aluminium,
    patents_wind,
)

PATENTS = [
    *patents_rare_earth.PATENTS,
    *patents_steel_aluminium.PATENTS,
    *patents_hydrogen.PATENTS,
    *patents_wind.PATENTS,
    *patents_mining_trucks.PATENTS,
    *patents_coal.PATENTS,
    *patents_agriculture.PATENTS,
    *patents_ai_drones.PATENTS,
    *patents_english.PATENTS,
]

NEEDS = [*needs_materials.NEEDS, *needs_energy.NEEDS, *needs_rural_digital.NEEDS]
