"""Unit conversions to Veille's canonical units, each constant defined exactly once."""

from __future__ import annotations

#: International avoirdupois pound (exact by definition, 1959).
KG_PER_LB = 0.45359237
#: International inch (exact by definition).
M_PER_IN = 0.0254
#: 1 kPa in mmHg (101.325 / 760 kPa per mmHg, inverted).
MMHG_PER_KPA = 7.50061683
#: Glucose molar mass convention: mg/dL per mmol/L.
MG_DL_PER_MMOL_L = 18.0156
#: 1 kg/L is 10^5 mg/dL.
MG_DL_PER_KG_L = 100_000

#: Resolution of weight fields (Weight Scale and Body Composition services).
KG_STEP_SI = 0.005
LB_STEP_IMPERIAL = 0.01
M_STEP_SI = 0.001
IN_STEP_IMPERIAL = 0.1
