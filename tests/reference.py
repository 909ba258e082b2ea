"""Plain-Python twins of the numba kernels, written for clarity; tests compare the two.

``run_periods`` mirrors :func:`simengine.kernels.agents._run_periods` for one draw, using
Python floats and integers only (no numba, no vectorisation).
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


def allocate_contract(
    key, t, item, v, q, restrict_local, sme_only, social_only, ff, fi, sector_start, backlog, cf, ci, params
):
    """Winner, price per unit of estimated value and number of bidders of one contract."""
    s, rule = ci[q][K.CI_SECTOR], ci[q][K.CI_RULE]
    lo, hi = sector_start[s], sector_start[s + 1]
    if hi == lo:
        return -1, 1.0, 0
    pool_size = int(params[K.P_POOL])
    if hi - lo <= pool_size:
        candidates = list(range(lo, hi))
    else:
        candidates = []
        for j in range(pool_size):
            f = lo + int(uniform(key, t, item, j, K.R_CANDIDATE) * (hi - lo))
            if f not in candidates:
                candidates.append(f)
    required = cf[q][K.C_CREDENTIALS] * (1.0 - cf[q][K.C_RELAXATION])
    preference, cap = cf[q][K.C_PREFERENCE], cf[q][K.C_PREFERENCE_CAP]
    floor_ratio = params[K.P_FLOOR_RATIO]
    bidders = []
    for level in range(3):
        bidders, best, best_utility = [], -1, -math.inf
        for f in candidates:
            is_local = fi[f][K.FI_LOCATION] == 0
            if level == 0 and (
                (restrict_local and not is_local)
                or (sme_only and fi[f][K.FI_SME] == 0)
                or (social_only and fi[f][K.FI_SOCIAL] == 0)
            ):
                continue
            if level <= 1 and (
                ff[f][K.FF_CREDENTIALS] < required
                or (
                    params[K.P_CAPACITY_LIMITS] > 0
                    and backlog[f] + v > ff[f][K.FF_CAPACITY] * params[K.P_BACKLOG_MONTHS]
                )
            ):
                continue
            cost = ff[f][K.FF_UNIT_COST]
            margin = ((floor_ratio if rule == K.RULE_FLOOR_LOTTERY else 1.0) - cost) / cost
            if not is_local and rule != K.RULE_FLOOR_LOTTERY:
                margin -= preference
            utility = (
                params[K.P_ENTRY_INTERCEPT]
                + params[K.P_ENTRY_PROFIT] * margin
                - params[K.P_ENTRY_BACKLOG] * backlog[f] / ff[f][K.FF_CAPACITY]
            )
            if utility > best_utility:
                best, best_utility = f, utility
            if uniform(key, t, item, f, K.R_ENTRY) * (1.0 + math.exp(-utility)) < 1.0:
                bidders.append(f)
        if not bidders and best >= 0:
            bidders = [best]
        if bidders:
            break
    if not bidders:
        return -1, 1.0, 0
    bids, evaluated = [], []
    for f in bidders:
        bid = ff[f][K.FF_UNIT_COST] * (
            1.0 + params[K.P_MARKUP] + params[K.P_BID_NOISE] * uniform(key, t, item, f, K.R_BID)
        )
        bids.append(bid)
        discount = min(preference * bid, cap / v) if fi[f][K.FI_LOCATION] == 0 and preference > 0 else 0.0
        evaluated.append(bid - discount)
    lowest = min(evaluated)
    cheapest = evaluated.index(lowest)
    if rule == K.RULE_LOWEST_PRICE:
        return bidders[cheapest], bids[cheapest], len(bidders)
    if rule == K.RULE_FLOOR_LOTTERY:
        qualified = [f for f in bidders if ff[f][K.FF_UNIT_COST] <= floor_ratio]
        if not qualified:
            return bidders[cheapest], bids[cheapest], len(bidders)
        f = qualified[int(uniform(key, t, item, 0, K.R_CHOICE) * len(qualified))]
        return f, floor_ratio * (1.0 + params[K.P_FLOOR_SPREAD] * uniform(key, t, item, f, K.R_BID)), len(bidders)
    scores = []
    for j, f in enumerate(bidders):
        local = 1.0 if fi[f][K.FI_LOCATION] == 0 else 0.0
        gumbel = -math.log(-math.log(uniform(key, t, item, f, K.R_CHOICE)))
        if rule == K.RULE_SCORING:
            contribution = 0.5 * local + 0.25 * local * (ff[f][K.FF_RESIDENT_SHARE] + ff[f][K.FF_LOCAL_INPUT_SHARE])
            score = (
                params[K.P_W_PRICE] * lowest / evaluated[j]
                + params[K.P_W_QUALITY] * ff[f][K.FF_QUALITY]
                + (params[K.P_W_LOCAL] + cf[q][K.C_LOCAL_WEIGHT]) * contribution
                + params[K.P_W_SOCIAL] * fi[f][K.FI_SOCIAL]
            )
            scores.append(score / params[K.P_SCORE_TEMPERATURE] + gumbel)
        else:
            scores.append(params[K.P_LOCALITY_BIAS] * local + gumbel)
    winner = scores.index(max(scores))
    return bidders[winner], bids[winner], len(bidders)


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
                    restrict = (
                        reserve_local
                        or set_aside
                        or (ci[q][K.CI_RESTRICTED] > 0 and lot_value < cf[q][K.C_RESTRICT_MAX])
                    )
                    sme_only = set_aside and cf[q][K.C_SET_ASIDE_SME] > 0
                    winner, ratio, n_bidders = allocate_contract(
                        key,
                        t,
                        item * K.MAX_LOTS + lot,
                        lot_value,
                        q,
                        restrict,
                        sme_only,
                        social_only,
                        ff,
                        fi,
                        sector_start,
                        backlog,
                        cf,
                        ci,
                        params,
                    )
                    price = lot_value * ratio
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
                item += 1
        purchases_indirect, purchases_induced = [0.0] * n_sectors, [0.0] * n_sectors
        income, investment = transfers, 0.0
        for s in range(n_sectors):
            if local_weight[s] <= 0:
                row[leak + K.L_OTHER_REGIONS] += demand_indirect[s] + demand_induced[s]
        for f in range(n_firms):
            executed = min(backlog[f], capacity[f]) if params[K.P_CAPACITY_LIMITS] > 0 else backlog[f]
            if fi[f][K.FI_LOCATION] != 0:
                backlog[f] -= executed
                capacity[f] *= 1.0 - params[K.P_DEPRECIATION]
                continue
            plan = 0.0
            if executed > 0:
                plan = plan_backlog[f] * executed / backlog[f]
                plan_backlog[f] -= plan
                backlog[f] -= executed
            s = fi[f][K.FI_SECTOR]
            y_indirect = ff[f][K.FF_MARKET_WEIGHT] * demand_indirect[s]
            y_induced = ff[f][K.FF_MARKET_WEIGHT] * demand_induced[s]
            y = executed + y_indirect + y_induced
            capacity[f] *= 1.0 - params[K.P_DEPRECIATION]
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
            reinvested = owner * after_tax * ff[f][K.FF_REINVEST_RATE]
            investment += reinvested
            capacity[f] += params[K.P_CAPACITY_PER_INVESTMENT] * reinvested
            income += owner * after_tax - reinvested
            row[leak + K.L_OUTSIDE_OWNERS] += (1.0 - owner) * after_tax
            srow[K.S_OUTPUT][s] += y
            srow[K.S_VALUE_ADDED][s] += wages + surplus
            srow[K.S_RESIDENT_WAGES][s] += wages * resident_share
            srow[K.S_DIRECT][s] += executed
            srow[K.S_INDIRECT][s] += y_indirect
            srow[K.S_INDUCED][s] += y_induced
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
