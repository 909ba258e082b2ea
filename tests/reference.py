"""Plain-Python twins of the numba kernels, written for clarity; tests compare the two.

``award`` and ``tender`` are written from the award rules of docs/agents.md (not ported from
the kernel); ``run_periods`` follows the monthly loop of the same document for one draw,
using Python floats and integers only (no numba, no vectorisation).
"""

from __future__ import annotations

import math

from simengine.kernels import layout as K

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def uniform(key: int, period: int, item: int, slot: int, stream: int) -> float:
    h = mix((key + GOLDEN) & MASK)
    for counter in (period, item, slot, stream):
        h = mix((h + GOLDEN * (counter + 1)) & MASK)
    return ((h >> 11) + 0.5) / 9007199254740992.0


def erfinv(x: float) -> float:
    w = -math.log((1.0 - x) * (1.0 + x))
    if w < 5.0:
        w -= 2.5
        coefficients = (
            2.81022636e-08,
            3.43273939e-07,
            -3.5233877e-06,
            -4.39150654e-06,
            0.00021858087,
            -0.00125372503,
            -0.00417768164,
            0.246640727,
            1.50140941,
        )
    else:
        w = math.sqrt(w) - 3.0
        coefficients = (
            -0.000200214257,
            0.000100950558,
            0.00134934322,
            -0.00367342844,
            0.00573950773,
            -0.0076224613,
            0.00943887047,
            1.00167406,
            2.83297682,
        )
    p = coefficients[0]
    for c in coefficients[1:]:
        p = c + p * w
    return p * x


def poisson(rate: float, u: float) -> int:
    if rate <= 0.0:
        return 0
    if rate > 200.0:
        z = math.sqrt(2.0) * erfinv(2.0 * u - 1.0)
        return max(0, int(math.floor(rate + math.sqrt(rate) * z + 0.5)))
    p = math.exp(-rate)
    cumulative, k = p, 0
    while u > cumulative and k < 10000:
        k += 1
        p *= rate / k
        cumulative += p
    return k


def award(
    key,
    t,
    item,
    streams,
    v,
    q,
    reserve,
    sme_only,
    social_only,
    ff,
    fi,
    sector_start,
    capacity,
    backlog,
    cf,
    ci,
    params,
):
    """The award of one contract, written from the rules in docs/agents.md ("Awards").

    Returns ``(winner, price per unit of estimated value, bidders)``; winner -1 when no firm
    of the sector is eligible at any re-tender level.
    """
    s, rule = ci[q][K.CI_SECTOR], ci[q][K.CI_RULE]
    sector = list(range(sector_start[s], sector_start[s + 1]))
    pool_size = int(params[K.P_POOL])
    if len(sector) <= pool_size:
        notice = sector
    else:  # pool_size draws with replacement, duplicates dropped, in order of first draw
        drawn = [
            sector[0] + int(uniform(key, t, item, j, streams + K.R_CANDIDATE) * len(sector)) for j in range(pool_size)
        ]
        notice = list(dict.fromkeys(drawn))
    required = cf[q][K.C_CREDENTIALS] * (1.0 - cf[q][K.C_RELAXATION])
    preference, cap = cf[q][K.C_PREFERENCE], cf[q][K.C_PREFERENCE_CAP]
    floor = params[K.P_FLOOR_RATIO]
    duration = params[K.P_BACKLOG_MONTHS]

    def local(f):
        return fi[f][K.FI_LOCATION] == K.LOCATION_LOCAL

    def eligible(f, level):
        # reservations: a regional restriction admits city and province firms, a local reserve city firms only
        allowed = {K.RESERVE_NONE: (0, 1, 2), K.RESERVE_REGION: (0, 1), K.RESERVE_CITY: (0,)}[reserve]
        reserved_ok = not (
            fi[f][K.FI_LOCATION] not in allowed
            or (sme_only and not fi[f][K.FI_SME])
            or (social_only and not fi[f][K.FI_SOCIAL])
        )
        fits = params[K.P_CAPACITY_LIMITS] <= 0 or backlog[f] + v <= capacity[f] * duration
        return fits and (level >= 2 or ff[f][K.FF_CREDENTIALS] >= required) and (level >= 1 or reserved_ok)

    def utility(f):
        expected = floor if rule == K.RULE_FLOOR_LOTTERY else 1.0
        margin = (expected - ff[f][K.FF_UNIT_COST]) / ff[f][K.FF_UNIT_COST]
        if not local(f) and rule != K.RULE_FLOOR_LOTTERY:
            margin -= preference
        return (
            params[K.P_ENTRY_INTERCEPT]
            + params[K.P_ENTRY_PROFIT] * margin
            - params[K.P_ENTRY_BACKLOG] * backlog[f] / capacity[f]
            + (0.5 if local(f) else -0.5) * cf[q][K.C_LOCAL_ENTRY]
        )

    for level, firms in ((0, notice), (1, notice), (2, sector)):
        candidates = [f for f in firms if eligible(f, level)]
        if not candidates:
            continue
        bidders = [
            f for f in candidates if uniform(key, t, item, f, streams + K.R_ENTRY) < 1.0 / (1.0 + math.exp(-utility(f)))
        ]
        if not bidders:  # nobody bids: the most willing eligible firm is invited
            utilities = [utility(f) for f in candidates]
            bidders = [candidates[utilities.index(max(utilities))]]
        break
    else:
        return -1, 1.0, 0
    bids = [
        ff[f][K.FF_UNIT_COST]
        * (1.0 + params[K.P_MARKUP] + params[K.P_BID_NOISE] * uniform(key, t, item, f, streams + K.R_BID))
        for f in bidders
    ]
    evaluated = [
        b - (min(preference * b, cap / v) if local(f) and preference > 0 else 0.0)
        for f, b in zip(bidders, bids, strict=True)
    ]
    cheapest = evaluated.index(min(evaluated))
    if rule == K.RULE_LOWEST_PRICE:
        return bidders[cheapest], bids[cheapest], len(bidders)
    if rule == K.RULE_FLOOR_LOTTERY:
        qualified = [f for f in bidders if ff[f][K.FF_UNIT_COST] <= floor]
        if not qualified:
            return bidders[cheapest], bids[cheapest], len(bidders)
        f = qualified[int(uniform(key, t, item, 0, streams + K.R_CHOICE) * len(qualified))]
        return f, floor * (1.0 + params[K.P_FLOOR_SPREAD] * uniform(key, t, item, f, streams + K.R_BID)), len(bidders)
    scores = []
    for f, e in zip(bidders, evaluated, strict=True):
        is_local = 1.0 if local(f) else 0.0
        gumbel = -math.log(-math.log(uniform(key, t, item, f, streams + K.R_CHOICE)))
        if rule == K.RULE_SCORING:
            contribution = 0.5 * is_local + 0.25 * is_local * (
                ff[f][K.FF_RESIDENT_SHARE] + ff[f][K.FF_LOCAL_INPUT_SHARE]
            )
            score = (
                params[K.P_W_PRICE] * min(evaluated) / e
                + params[K.P_W_QUALITY] * ff[f][K.FF_QUALITY]
                + (params[K.P_W_LOCAL] + cf[q][K.C_LOCAL_WEIGHT]) * contribution
                + params[K.P_W_SOCIAL] * fi[f][K.FI_SOCIAL]
            )
            scores.append(score / params[K.P_SCORE_TEMPERATURE] + gumbel)
        else:
            scores.append(params[K.P_LOCALITY_BIAS] * is_local + gumbel)
    winner = scores.index(max(scores))
    return bidders[winner], bids[winner], len(bidders)


def tender(
    key,
    t,
    item,
    v,
    q,
    reserve,
    sme_only,
    social_only,
    ff,
    fi,
    sector_start,
    capacity,
    backlog,
    cf,
    ci,
    params,
    book,
):
    """Award one lot whole, or split when nobody can take it whole; ``book(winner, price, bidders)``
    records each award (and adds it to the winner's backlog before the next piece is tendered)."""
    s = ci[q][K.CI_SECTOR]
    sector = list(range(sector_start[s], sector_start[s + 1]))
    args = (reserve, sme_only, social_only, ff, fi, sector_start, capacity, backlog, cf, ci, params)
    winner, ratio, n = award(key, t, item, 0, v, q, *args)
    if winner >= 0 or not sector:
        book(winner, v * ratio, n)
        return

    def room(f):
        return capacity[f] * params[K.P_BACKLOG_MONTHS] - backlog[f]

    def roomiest():
        rooms = [room(f) for f in sector]
        return sector[rooms.index(max(rooms))]

    largest = room(roomiest())
    pieces = K.MAX_SPLIT if largest <= 0 else min(K.MAX_SPLIT, math.ceil(v / largest))
    for k in range(pieces):
        winner, ratio, n = award(key, t, item, (k + 1) * K.SPLIT_STREAMS, v / pieces, q, *args)
        if winner < 0:
            winner = roomiest()
            ratio, n = ff[winner][K.FF_UNIT_COST] * (1.0 + params[K.P_MARKUP]), 1
        book(winner, v / pieces * ratio, n)


def run_periods(
    key,
    periods,
    firm_float,
    firm_int,
    sector_start,
    local_purchase_mix,
    economy,
    household,
    cells_float,
    cells_int,
    params,
):
    """One draw of the monthly loop; returns ``(out_period, out_sector, out_cell, out_flows, out_hhi)`` as lists."""
    ff, fi = firm_float.tolist(), firm_int.tolist()
    cf, ci, params = cells_float.tolist(), cells_int.tolist(), params.tolist()
    eco, mixes, hh = economy.tolist(), local_purchase_mix.tolist(), household.tolist()
    sector_start = sector_start.tolist()
    n_firms, n_sectors, n_cells = len(ff), len(eco[0]), len(cf)
    out_period = [[0.0] * K.N_OUT_PERIOD for _ in range(periods)]
    out_sector = [[[0.0] * n_sectors for _ in range(K.N_OUT_SECTOR)] for _ in range(periods)]
    out_cell = [[0.0] * K.N_OUT_CELL for _ in range(n_cells)]
    out_flows = [0.0] * K.N_OUT_FLOWS
    capacity = [row[K.FF_CAPACITY] for row in ff]
    backlog, plan_backlog, awarded = [0.0] * n_firms, [0.0] * n_firms, [0.0] * n_firms
    demand_indirect, demand_induced = [0.0] * n_sectors, [0.0] * n_sectors
    local_weight = [0.0] * n_sectors
    for f in range(n_firms):
        if fi[f][K.FI_LOCATION] == 0:
            local_weight[fi[f][K.FI_SECTOR]] += ff[f][K.FF_MARKET_WEIGHT]
    expected_budget = sum(row[K.C_RATE] * row[K.C_MEAN_VALUE] for row in cf)
    propensity = sum(g[K.H_INCOME_SHARE] * g[K.H_PROPENSITY] for g in hh)
    consumption_local = sum(eco[K.E_CONSUMPTION_LOCAL])
    capital_local = sum(eco[K.E_CAPITAL_LOCAL])
    wage_tax, profit_tax = params[K.P_WAGE_TAX], params[K.P_PROFIT_TAX]
    national_wage_tax, national_profit_tax = params[K.P_NATIONAL_WAGE_TAX], params[K.P_NATIONAL_PROFIT_TAX]
    leak = K.O_LEAK
    tax_pending = 0.0

    def book(q, winner, price, n_bidders):
        row[K.O_PAYMENTS] += price
        row[K.O_CONTRACTS] += 1.0
        row[K.O_BIDDERS] += n_bidders
        out_cell[q][K.Q_AWARDED] += price
        out_cell[q][K.Q_CONTRACTS] += 1.0
        out_cell[q][K.Q_BIDDERS] += n_bidders
        if winner >= 0:
            backlog[winner] += price
            awarded[winner] += price
            row[K.O_SME_AWARDS] += price if fi[winner][K.FI_SME] > 0 else 0.0
            row[K.O_SOCIAL_AWARDS] += price if fi[winner][K.FI_SOCIAL] > 0 else 0.0
        if winner >= 0 and fi[winner][K.FI_LOCATION] == 0:
            plan_backlog[winner] += price * cf[q][K.C_COEXISTENCE]
            row[K.O_LOCAL_AWARDS] += price
            out_cell[q][K.Q_LOCAL] += price
        else:
            row[leak + K.L_NONLOCAL_AWARDS] += price
            srow[K.S_NONLOCAL_AWARDS][ci[q][K.CI_SECTOR]] += price

    def adjust_capacity(f, demand):
        target = max(ff[f][K.FF_CAPACITY], demand / params[K.P_TARGET_BACKLOG])
        if target > capacity[f]:
            capacity[f] += params[K.P_CAPACITY_ADJUSTMENT] * (target - capacity[f])
        else:
            capacity[f] -= params[K.P_DEPRECIATION] * (capacity[f] - target)

    for t in range(periods):
        row, srow = out_period[t], out_sector[t]
        tax_used = params[K.P_CITY_RESPEND] * tax_pending
        transfers = params[K.P_CITY_TRANSFER] * tax_pending
        row[leak + K.L_NOT_RESPENT] += tax_pending - tax_used - transfers
        scale = 1.0 + tax_used / expected_budget if expected_budget > 0 else 1.0
        tax_pending = 0.0
        item = 0
        for q in range(n_cells):
            sigma = cf[q][K.C_SIGMA]
            for _ in range(poisson(cf[q][K.C_RATE], uniform(key, t, q, 0, K.R_COUNT))):
                u1, u2 = uniform(key, t, item, 0, K.R_VALUE_1), uniform(key, t, item, 0, K.R_VALUE_2)
                z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
                v = cf[q][K.C_MEAN_VALUE] * math.exp(sigma * z - 0.5 * sigma * sigma) * scale
                row[K.O_ESTIMATED] += v
                reserve_local = False
                if cf[q][K.C_TARGET] > 0:
                    base = cf[q][K.C_BASE_SHARE]
                    current = base + (cf[q][K.C_TARGET] - base) * min(1.0, (t + 1) / max(cf[q][K.C_RAMP], 1.0))
                    probability = (current - base) / (1.0 - base) if base < 1.0 else 0.0
                    reserve_local = uniform(key, t, item, 0, K.R_TARGET) < probability
                social_only = uniform(key, t, item, 0, K.R_SOCIAL) < cf[q][K.C_SOCIAL_TARGET]
                n_lots, lot_value = 1, v
                if cf[q][K.C_LOT_THRESHOLD] > 0 and v > cf[q][K.C_LOT_THRESHOLD]:
                    n_lots = min(math.ceil(v / cf[q][K.C_LOT_THRESHOLD]), K.MAX_LOTS)
                    lot_value = v / n_lots * (1.0 + cf[q][K.C_LOT_PENALTY])
                    row[K.O_ADMIN] += n_lots * cf[q][K.C_LOT_ADMIN]
                for lot in range(n_lots):
                    set_aside = lot_value < cf[q][K.C_SET_ASIDE]
                    if reserve_local or set_aside:
                        restrict = K.RESERVE_CITY
                    elif ci[q][K.CI_RESTRICTED] > 0 and lot_value < cf[q][K.C_RESTRICT_MAX]:
                        restrict = K.RESERVE_REGION
                    else:
                        restrict = K.RESERVE_NONE
                    sme_only = set_aside and cf[q][K.C_SET_ASIDE_SME] > 0
                    tender(
                        key, t, item * K.MAX_LOTS + lot, lot_value, q, restrict, sme_only, social_only,
                        ff, fi, sector_start, capacity, backlog, cf, ci, params,
                        lambda winner, price, n_bidders, q=q: book(q, winner, price, n_bidders),
                    )  # fmt: skip
                item += 1
        purchases_indirect, purchases_induced = [0.0] * n_sectors, [0.0] * n_sectors
        income, investment = transfers, 0.0
        for s in range(n_sectors):
            if local_weight[s] <= 0:
                row[leak + K.L_OTHER_REGIONS] += demand_indirect[s] + demand_induced[s]
        for f in range(n_firms):
            demand = backlog[f]
            executed = min(backlog[f], capacity[f]) if params[K.P_CAPACITY_LIMITS] > 0 else backlog[f]
            plan = 0.0
            if executed > 0:
                plan = plan_backlog[f] * executed / backlog[f]
                plan_backlog[f] -= plan
                backlog[f] -= executed
            if params[K.P_CAPACITY_LIMITS] > 0:
                adjust_capacity(f, demand)
            if fi[f][K.FI_LOCATION] != 0:
                continue
            s = fi[f][K.FI_SECTOR]
            y_indirect = ff[f][K.FF_MARKET_WEIGHT] * demand_indirect[s]
            y_induced = ff[f][K.FF_MARKET_WEIGHT] * demand_induced[s]
            y = executed + y_indirect + y_induced
            if y <= 0:
                continue
            domestic = eco[K.E_DOMESTIC_INPUTS][s]
            has_local = eco[K.E_LOCAL_INPUTS][s] > 0
            share = ff[f][K.FF_LOCAL_INPUT_SHARE] if has_local else 0.0
            local_direct = min(max(share * domestic * executed, plan if has_local else 0.0), domestic * executed)
            local_indirect = local_direct + share * domestic * y_indirect
            local_induced = share * domestic * y_induced
            purchases_indirect[s] += local_indirect
            purchases_induced[s] += local_induced
            row[leak + K.L_OTHER_REGIONS] += domestic * y - local_indirect - local_induced
            row[leak + K.L_IMPORTS] += eco[K.E_IMPORTED][s] * y
            row[leak + K.L_TAXES_LEAVING] += eco[K.E_OTHER_INPUTS][s] * y
            wages = eco[K.E_COMPENSATION][s] * y
            resident_share = ff[f][K.FF_RESIDENT_SHARE]
            row[K.O_TAX] += wage_tax * wages
            tax_pending += wage_tax * wages
            net_wages = (1.0 - wage_tax - national_wage_tax) * wages
            resident_wages = net_wages * resident_share
            income += resident_wages
            row[leak + K.L_COMMUTERS] += net_wages - resident_wages
            surplus = eco[K.E_SURPLUS][s] * y
            row[K.O_TAX] += profit_tax * surplus
            tax_pending += profit_tax * surplus
            row[leak + K.L_TAXES_LEAVING] += national_wage_tax * wages + national_profit_tax * surplus
            after_tax = (1.0 - profit_tax - national_profit_tax) * surplus
            owner = ff[f][K.FF_OWNER_LOCAL]
            replacement = eco[K.E_REPLACEMENT][s] * after_tax  # every local firm, whoever owns it
            distributable = after_tax - replacement
            reinvested = owner * distributable * ff[f][K.FF_REINVEST_RATE]
            investment += replacement + reinvested
            income += owner * distributable - reinvested
            row[leak + K.L_OUTSIDE_OWNERS] += (1.0 - owner) * distributable
            srow[K.S_OUTPUT][s] += y
            srow[K.S_VALUE_ADDED][s] += wages + surplus
            srow[K.S_RESIDENT_WAGES][s] += wages * resident_share
            srow[K.S_DIRECT][s] += executed
            srow[K.S_INDIRECT][s] += y_indirect
            srow[K.S_INDUCED][s] += y_induced
            srow[K.S_LOCAL_PURCHASES][s] += local_indirect + local_induced
            srow[K.S_OWNERS_INCOME][s] += owner * distributable - reinvested
            srow[K.S_INVESTMENT][s] += replacement + reinvested
            if executed > 0:
                out_flows[K.F_LOCAL_INPUTS] += local_direct
                out_flows[K.F_OTHER_REGION_INPUTS] += domestic * executed - local_direct
                out_flows[K.F_IMPORTED_INPUTS] += eco[K.E_IMPORTED][s] * executed
                out_flows[K.F_OTHER_INPUTS] += eco[K.E_OTHER_INPUTS][s] * executed
                out_flows[K.F_RESIDENT_WAGES] += eco[K.E_COMPENSATION][s] * executed * resident_share
                out_flows[K.F_COMMUTER_WAGES] += eco[K.E_COMPENSATION][s] * executed * (1.0 - resident_share)
                out_flows[K.F_LOCAL_PROFITS] += eco[K.E_SURPLUS][s] * executed * owner
                out_flows[K.F_OUTSIDE_PROFITS] += eco[K.E_SURPLUS][s] * executed * (1.0 - owner)
        consumption = propensity * income
        row[K.O_HOUSEHOLD_INCOME], row[K.O_CONSUMPTION], row[K.O_REINVESTMENT] = income, consumption, investment
        row[leak + K.L_NOT_RESPENT] += income - consumption
        row[leak + K.L_SPENDING_OUTSIDE] += consumption * (1.0 - consumption_local)
        row[leak + K.L_OTHER_REGIONS] += investment * (1.0 - capital_local)
        for i in range(n_sectors):
            demand_indirect[i] = sum(mixes[i][s] * purchases_indirect[s] for s in range(n_sectors))
            demand_induced[i] = (
                consumption * eco[K.E_CONSUMPTION_LOCAL][i]
                + investment * eco[K.E_CAPITAL_LOCAL][i]
                + sum(mixes[i][s] * purchases_induced[s] for s in range(n_sectors))
            )
        row[K.O_STOCK] = (
            tax_pending
            + sum(backlog[f] for f in range(n_firms) if fi[f][K.FI_LOCATION] == 0)
            + sum(demand_indirect)
            + sum(demand_induced)
        )
        row[K.O_EXTERNAL] = row[K.O_PAYMENTS] - tax_used
    out_hhi = [0.0] * n_sectors
    for s in range(n_sectors):
        total = sum(awarded[sector_start[s] : sector_start[s + 1]])
        if total > 0:
            out_hhi[s] = sum((a / total) ** 2 for a in awarded[sector_start[s] : sector_start[s + 1]])
    return out_period, out_sector, out_cell, out_flows, out_hhi
