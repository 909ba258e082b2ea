"""Codes and output columns of the agent kernels.

The kernels take named bundles of arrays (:mod:`simengine.kernels.bundles`); what remains here
are the codes they compare against (locations, reservations, award rules), the column of each
cell attribute while levers are filled in (``C_*``, the order of ``CellArrays``' float fields),
the columns of the outputs they fill (money by period, sector, cell; first-round flows), the
per-draw state carried between slices of months, and the ids of the random streams.
"""

LOCATION_LOCAL, LOCATION_PROVINCE, LOCATION_NATION = 0, 1, 2
# who may bid for a reserved contract: anyone, firms of the city or its province, firms of the city
RESERVE_NONE, RESERVE_REGION, RESERVE_CITY = 0, 1, 2

# cell attributes while levers are filled in (simengine.agents.cells.lever_arrays); CellArrays order
C_RATE, C_MEAN_VALUE, C_SIGMA, C_CREDENTIALS, C_BASE_SHARE = 0, 1, 2, 3, 4
C_SET_ASIDE, C_SET_ASIDE_SME, C_PREFERENCE, C_PREFERENCE_CAP, C_LOCAL_WEIGHT = 5, 6, 7, 8, 9
C_LOT_THRESHOLD, C_RELAXATION, C_COEXISTENCE, C_TARGET, C_RAMP, C_SOCIAL_TARGET, C_RESTRICT_MAX = (
    10,
    11,
    12,
    13,
    14,
    15,
    16,
)
C_LOT_ADMIN, C_LOT_PENALTY = 17, 18  # unbundling: administrative cost per lot (money), price penalty per lot
C_LOCAL_ENTRY = 19  # local firms' entry log-odds advantage: +half to local, -half to other firms
N_CELL_FLOAT = 20
RULE_NEGOTIATED, RULE_LOWEST_PRICE, RULE_FLOOR_LOTTERY, RULE_SCORING = 0, 1, 2, 3

# out_period[T, :]
(
    O_PAYMENTS,
    O_ESTIMATED,
    O_LOCAL_AWARDS,
    O_CONTRACTS,
    O_BIDDERS,
    O_TAX,
    O_EXTERNAL,
    O_STOCK,
    O_ADMIN,
    O_SME_AWARDS,
    O_SOCIAL_AWARDS,
    O_HOUSEHOLD_INCOME,
    O_CONSUMPTION,
    O_REINVESTMENT,
) = range(14)
O_LEAK = 14  # O_LEAK + channel index, channels in simengine.results.LEAKAGE_CHANNELS order
(
    L_NONLOCAL_AWARDS,
    L_IMPORTS,
    L_OTHER_REGIONS,
    L_COMMUTERS,
    L_OUTSIDE_OWNERS,
    L_SPENDING_OUTSIDE,
    L_TAXES_LEAVING,
    L_NOT_RESPENT,
) = range(8)
N_OUT_PERIOD = O_LEAK + 8

# out_sector[T, :, n]
S_OUTPUT, S_VALUE_ADDED, S_RESIDENT_WAGES, S_NONLOCAL_AWARDS, S_DIRECT, S_INDIRECT, S_INDUCED = range(7)
# realised firm mix: local input purchases, local owners' income, investment (replacement + reinvestment)
S_LOCAL_PURCHASES, S_OWNERS_INCOME, S_INVESTMENT = 7, 8, 9
N_OUT_SECTOR = 10

# out_cell[Q, :]
Q_AWARDED, Q_LOCAL, Q_CONTRACTS, Q_BIDDERS = range(4)
N_OUT_CELL = 4

# out_flows[:]: first-round accounts of executed procurement, money, FLOW_ACCOUNTS[2:] order
(
    F_LOCAL_INPUTS,
    F_OTHER_REGION_INPUTS,
    F_IMPORTED_INPUTS,
    F_OTHER_INPUTS,
    F_RESIDENT_WAGES,
    F_COMMUTER_WAGES,
    F_LOCAL_PROFITS,
    F_OUTSIDE_PROFITS,
) = range(8)
N_OUT_FLOWS = 8

# per-draw state carried from one slice of periods to the next
SF_CAPACITY, SF_BACKLOG, SF_PLAN, SF_AWARDED = range(4)  # state_firm[4, F]
N_STATE_FIRM = 4
SS_INDIRECT, SS_INDUCED = 0, 1  # state_sector[2, n]: next month's local market demand
N_STATE_SECTOR = 2
SC_TAX = 0  # state_scalar[1]: local tax collected last month
N_STATE_SCALAR = 1

# random streams of the counter-based generator
R_COUNT, R_VALUE_1, R_VALUE_2, R_CANDIDATE, R_ENTRY, R_BID, R_CHOICE, R_TARGET, R_SOCIAL = range(9)
#: Streams of the ``k``-th piece of a split contract are offset by ``k * SPLIT_STREAMS``.
SPLIT_STREAMS = 16
#: A contract that no firm can take whole is split into at most this many pieces.
MAX_SPLIT = 64
#: Lots per contract are capped so that (contract, lot) keys never collide.
MAX_LOTS = 1000
