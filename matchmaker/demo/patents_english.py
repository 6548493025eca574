"""Demo patents in English: the universities' international filings (US and WO numbers).

Several are the English family members of Chinese demo patents, so a Chinese need can reach
them only through the cross-lingual encoder.
"""

from __future__ import annotations

from .spec import P

PATENTS = [
    P("US11900101B2", "rei", "2018-03-20", "H01F 1/057; H01F 41/02", field="稀土永磁材料",
      price=150, modes="transfer,exclusive,ordinary",
      title="Method for producing sintered NdFeB magnets by grain boundary diffusion of a terbium-"
      "copper alloy",
      abstract="A method for producing high-coercivity sintered NdFeB magnets with a low heavy "
      "rare-earth content is disclosed. A terbium-copper alloy powder with a low melting point is "
      "dispersed in an organic binder and coated on the surface of a sintered magnet body free of "
      "dysprosium and terbium. The coated body is heat-treated in vacuum at 850 to 950 °C so that "
      "the liquid alloy penetrates along the neodymium-rich grain boundary phase and terbium forms"
      " a thin shell of high magnetocrystalline anisotropy around each main-phase grain, followed "
      "by tempering at 480 to 540 °C. Compared with adding heavy rare earths to the bulk alloy, "
      "terbium consumption is reduced by more than 60 % while the coercivity increases by 7 to 10 "
      "kOe and the remanence drops by less than 1.5 %. The magnets suit traction motors of electri"
      "c vehicles and direct-drive wind generators.",
      claims="1. A method for producing a sintered NdFeB magnet, comprising: providing a sintered "
      "NdFeB body free of Dy and Tb with a thickness of 1 to 10 mm; coating the body with a slurry"
      " of a Tb-Cu alloy powder containing 10 to 30 wt% Cu; diffusion heat treating the coated "
      "body in vacuum at 850 to 950 °C for 5 to 20 hours; and tempering at 480 to 540 °C for 2 to "
      "5 hours.\n2. The method of claim 1, wherein the coated amount of terbium is 0.3 to 0.8 wt% "
      "of the magnet body."),
    P("WO2023190102A1", "ysi", "2022-05-16", "C25B 11/04; C25B 1/04", field="氢能",
      modes="ordinary,exclusive",
      title="Nickel-iron layered double hydroxide anode for alkaline water electrolysis and prepar"
      "ation method thereof",
      abstract="Disclosed is a nickel-iron layered double hydroxide (NiFe-LDH) anode for alkaline "
      "water electrolysis. Nickel foam is etched and immersed in a solution of nickel nitrate, "
      "iron nitrate and urea, and NiFe-LDH nanosheets are grown vertically on the foam by a hydrot"
      "hermal reaction at 100 to 120 °C. A thin cerium oxide layer is then deposited on the nanosh"
      "eets to improve conductivity and to prevent the dissolution of iron during start-stop cycle"
      "s. In 30 wt% KOH at 80 °C the anode shows an oxygen evolution overpotential below 230 mV "
      "at 500 mA/cm² and remains stable over 1000 hours of operation with fluctuating current. "
      "Combined with a porous nickel-molybdenum cathode in an industrial alkaline electrolyser, "
      "it lowers the cell voltage by about 0.15 V and the specific energy consumption of hydrogen "
      "production accordingly.",
      claims="1. An anode for alkaline water electrolysis, comprising a nickel foam substrate, "
      "nickel-iron layered double hydroxide nanosheets grown vertically on the substrate with a "
      "Ni:Fe molar ratio of 2:1 to 4:1, and a cerium oxide coating of 5 to 20 nm covering the "
      "nanosheets."),
    P("US11900103B2", "ysi", "2017-10-09", "H01M 8/18; H01M 8/20", field="储能", price=120,
      dormant=False,
      modes="ordinary,exclusive",
      title="Mixed-acid vanadium redox flow battery electrolyte with improved thermal stability",
      abstract="A vanadium redox flow battery electrolyte with improved thermal stability is provi"
      "ded. Vanadium ions at 1.8 to 2.5 mol/L are dissolved in a mixture of sulfuric and hydrochlo"
      "ric acid, and small amounts of an inorganic phosphate and a polyhydric alcohol are added "
      "as stabilisers. Chloride ions form soluble complexes with pentavalent vanadium, suppressing"
      " the precipitation of vanadium pentoxide at high temperature, while the additives delay "
      "the crystallisation of divalent and trivalent vanadium sulfates at low temperature. The "
      "electrolyte stays free of precipitates between -10 °C and 50 °C for more than 30 days. "
      "Batteries using it reach an energy density about 20 % higher than with conventional sulfuri"
      "c acid electrolytes and need less thermal management, which lowers the cost of large flow "
      "battery storage stations in regions with cold winters and hot summers.",
      claims="1. An electrolyte for a vanadium redox flow battery, comprising 1.8 to 2.5 mol/L "
      "vanadium ions having an average valence of 3.4 to 3.6, 2.0 to 3.0 mol/L sulfuric acid, 1.0 "
      "to 2.5 mol/L hydrochloric acid, 0.05 to 0.2 mol/L of an inorganic phosphate and 0.5 to 2 "
      "wt% of a polyhydric alcohol."),
    P("US11900104B2", "sbgy", "2019-04-15", "F03D 17/00; G06N 3/08", field="风电运维", price=80,
      modes="open,ordinary",
      title="Fault diagnosis of wind turbine gearboxes from vibration signals using a convolutiona"
      "l neural network",
      abstract="A method for diagnosing faults in wind turbine gearboxes is disclosed. Vibration "
      "signals from accelerometers on the planetary, intermediate and high-speed stages are resamp"
      "led in the angular domain using the generator speed, removing the effect of varying rotor "
      "speed. Order spectra and envelope spectra of the resampled signals are stacked into a two-d"
      "imensional input and classified by a convolutional neural network trained on labelled test-"
      "rig data and fine-tuned with a small amount of field data. The network outputs the fault "
      "type, such as tooth pitting, tooth breakage, bearing outer race spalling or misalignment, "
      "with a severity index. Field tests on 2 MW turbines showed an accuracy above 94 % and found"
      " developing gear damage weeks before temperature alarms, so that maintenance can be planned"
      " without short-notice crane mobilisation.",
      claims="1. A method for diagnosing a fault of a wind turbine gearbox, comprising: acquiring "
      "vibration signals of the gearbox stages and a generator speed signal; resampling the vibrat"
      "ion signals in the angular domain using the speed signal; computing order spectra and envel"
      "ope spectra; stacking the spectra into a two-dimensional input; and classifying the input "
      "with a convolutional neural network to obtain a fault type and a severity index."),
    P("WO2024190105A1", "bjut", "2023-03-13", "B60L 53/80; B60S 5/06", field="新能源矿用车辆",
      title="Battery swapping station and method for battery-electric mining dump trucks",
      abstract="A battery swapping station for battery-electric mining dump trucks is disclosed. "
      "The truck stops on a positioning platform where guide rollers and laser range finders align"
      " it laterally and longitudinally. A side-mounted swapping robot extends a fork perpendicula"
      "r to the driving direction, unlocks the depleted battery pack mounted on the side of the "
      "chassis, moves it to a charging rack and installs a fully charged pack, which is then locke"
      "d automatically. A floating high-voltage connector tolerates positioning errors of a few "
      "millimetres. A complete swap takes less than five minutes, so one station serves a fleet "
      "of trucks without interrupting haulage cycles, and the stored packs can be charged slowly "
      "during off-peak hours, which reduces both the peak demand on the mine grid and battery "
      "degradation.",
      claims="1. A battery swapping station for a mining truck, comprising: a positioning platform"
      " provided with guide rollers and laser range finders; a swapping robot arranged on one "
      "side of the platform and having a fork extendable perpendicular to the driving direction "
      "of the truck and an unlocking actuator for a battery pack lock; a charging rack; and a "
      "controller that completes the swap in less than five minutes."),
    P("US11900106B2", "rei", "2016-11-28", "C09K 3/14; C09G 1/02", field="稀土抛光材料", price=70,
      title="Cerium oxide polishing slurry with a narrow particle size distribution for glass "
      "substrates",
      abstract="A cerium oxide polishing slurry for display glass substrates and optical component"
      "s is disclosed. Cerium carbonate precipitated from a purified cerium chloride solution is "
      "calcined at a controlled heating rate to obtain ceria particles with a median size of 0.8 "
      "to 1.2 µm, which are classified in a hydrocyclone so that particles larger than 5 µm are "
      "removed. The particles are dispersed in water with a polycarboxylate dispersant and a small"
      " amount of fluoride that raises their chemical activity. The slurry removes glass about 25 "
      "% faster than conventional slurries, keeps a stable viscosity during recirculation and "
      "produces fewer scratches, so that the yield of large glass substrates in final polishing "
      "improves and the slurry consumption per square metre falls.",
      claims="1. A polishing slurry comprising ceria particles having a median particle size of "
      "0.8 to 1.2 µm and containing no particles larger than 5 µm, 0.1 to 1.0 wt% of a polycarboxy"
      "late dispersant, 0.5 to 3 wt% fluoride based on the ceria, and water, the slurry having a "
      "solid content of 5 to 20 wt%."),
    P("WO2023190107A1", "occ", "2022-09-05", "B01J 29/85; C07C 1/20", field="煤化工",
      title="Hierarchical SAPO-34 molecular sieve catalyst for converting methanol to light olefin"
            "s",
      abstract="A hierarchical SAPO-34 molecular sieve catalyst for the methanol-to-olefins (MTO) "
      "process is disclosed. Mesopores are introduced into the SAPO-34 crystals by adding a small "
      "amount of a cationic polymer as a mesopore template during hydrothermal crystallisation, "
      "and the external acid sites are selectively passivated by silylation. The mesopores shorten"
      " the diffusion path of the olefin products and slow the formation of polyaromatic coke in "
      "the cages. In a fluidised-bed test the catalyst gives a combined ethylene and propylene "
      "selectivity above 84 % and a lifetime about 50 % longer than a conventional SAPO-34 catalys"
      "t, which reduces the regeneration load and the methanol consumption of coal-to-olefins "
      "plants.",
      claims="1. A method for preparing a hierarchical SAPO-34 catalyst, comprising: mixing an "
      "aluminium source, a phosphorus source, a silicon source, a microporous template and 0.5 to "
      "3 wt% of a cationic polymer as mesopore template; crystallising the mixture hydrothermally "
      "at 180 to 200 °C; calcining the product to remove the templates; and silylating the externa"
      "l surface of the crystals."),
    P("US11900108B2", "qcau", "2019-08-26", "G01N 33/04; A01J 5/013", field="畜牧养殖", price=60,
      modes="ordinary,open",
      title="Detection of subclinical mastitis in dairy cows from in-line milk conductivity and "
      "machine learning",
      abstract="A method for detecting subclinical mastitis in dairy cows during milking is disclo"
      "sed. Sensors in the short milk tubes measure the electrical conductivity, colour and flow "
      "rate of the milk from each quarter. For each cow, features such as the ratio between the "
      "highest and lowest quarter conductivity, the deviation from the cow's own moving baseline, "
      "changes in milk yield and days in milk are computed and passed to a gradient boosting class"
      "ifier trained against laboratory somatic cell counts. Each cow receives a risk level, and "
      "high-risk cows are flagged on the parlour display for a confirmatory test. In a herd of "
      "1,200 cows the method detected subclinical mastitis with a sensitivity of 86 % and a specif"
      "icity of 90 %, allowing earlier treatment, fewer antibiotic residues and lower bulk milk "
      "somatic cell counts.",
      claims="1. A method for detecting subclinical mastitis, comprising: measuring the electrical"
      " conductivity, colour and flow rate of milk from each quarter of a cow during milking; "
      "computing the ratio between the highest and lowest quarter conductivity and the deviation "
      "from a moving baseline of the cow; and classifying the cow into a risk level with a gradien"
      "t boosting classifier trained against somatic cell counts."),
    P("WO2024190109A1", "sbgy", "2023-07-10", "F03D 17/00; G06V 20/17", field="风电运维",
      title="UAV-based inspection of wind turbine blades with deep-learning damage detection",
      abstract="A method for inspecting wind turbine blades with an unmanned aerial vehicle (UAV) "
      "is disclosed. After the rotor is stopped with one blade pointing downward, a flight path "
      "around each blade is generated automatically from the hub height, blade length and rotor "
      "orientation, and the UAV captures overlapping high-resolution images along the leading "
      "edge, the trailing edge and both shells. The images are stitched into an unfolded blade "
      "map, and a deep-learning detector identifies leading-edge erosion, cracks, lightning damage"
      " and coating loss, estimating the size and spanwise position of each defect. A turbine is "
      "inspected in under 30 minutes without rope access, and the reports let operators prioritise"
      " repairs before the damage reduces energy yield.",
      claims="1. A method for inspecting a wind turbine blade, comprising: automatically generatin"
      "g a flight path around the blade from the hub height, the blade length and the rotor orient"
      "ation; capturing overlapping images of the blade with a UAV along the path; stitching the "
      "images into an unfolded blade map; and detecting leading-edge erosion, cracks and lightning"
      " damage in the map with a deep-learning detector."),
    P("US11900110B2", "bjut", "2020-02-10", "C22C 23/00; C01B 3/00", field="储氢材料", price=100,
      title="Rare-earth catalysed magnesium-based hydrogen storage material and method for its "
      "preparation",
      abstract="A magnesium-based hydrogen storage material catalysed by rare-earth hydrides is "
      "disclosed. Magnesium powder is ball-milled under hydrogen together with nickel and small "
      "amounts of lanthanum hydride and yttrium oxide, forming nanocrystalline magnesium hydride "
      "in which rare-earth hydride and Mg2NiH4 particles are finely dispersed. These catalytic "
      "phases lower the activation energy of hydrogen release, so that the material absorbs hydrog"
      "en below 200 °C and releases more than 5 wt% of hydrogen within ten minutes at 280 °C, "
      "with a reversible capacity above 6 wt% and more than 95 % capacity retention after 100 "
      "cycles. It enables compact, low-pressure solid-state storage for moving hydrogen from renew"
      "able production sites and for stationary storage at industrial users.",
      claims="1. A method for preparing a hydrogen storage material, comprising ball milling a "
      "mixture of magnesium powder, 3 to 8 wt% nickel powder, 1 to 4 wt% lanthanum hydride and 1 "
      "to 4 wt% yttrium oxide under 1 to 3 MPa hydrogen at a ball-to-powder ratio of 20:1 to 40:1 "
      "for 10 to 30 hours."),
]
