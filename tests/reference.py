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
    firms,
    capacity,
    backlog,
    cells,
    behaviour,
):
    """The award of one contract, written from the rules in docs/agents.md ("Awards").

    Returns ``(winner, price per unit of estimated value, bidders)``; winner -1 when no firm
    of the sector is eligible at any re-tender level.
    """
    s, rule = cells.sector[q], cells.rule[q]
    sector = list(range(firms.sector_start[s], firms.sector_start[s + 1]))
    pool_size = int(behaviour.pool)
    if len(sector) <= pool_size:
        notice = sector
    else:  # pool_size draws with replacement, duplicates dropped, in order of first draw
        drawn = [
            sector[0] + int(uniform(key, t, item, j, streams + K.R_CANDIDATE) * len(sector)) for j in range(pool_size)
        ]
        notice = list(dict.fromkeys(drawn))
    required = cells.credentials[q] * (1.0 - cells.relaxation[q])
    preference, cap = cells.preference[q], cells.preference_cap[q]
    floor = behaviour.floor_ratio
    duration = behaviour.backlog_months

    def local(f):
        return firms.location[f] == K.LOCATION_LOCAL

    def eligible(f, level):
        # reservations: a regional restriction admits city and province firms, a local reserve city firms only
        allowed = {K.RESERVE_NONE: (0, 1, 2), K.RESERVE_REGION: (0, 1), K.RESERVE_CITY: (0,)}[reserve]
        reserved_ok = not (
            firms.location[f] not in allowed or (sme_only and not firms.sme[f]) or (social_only and not firms.social[f])
        )
        fits = behaviour.capacity_limits <= 0 or backlog[f] + v <= capacity[f] * duration
        return fits and (level >= 2 or firms.credentials[f] >= required) and (level >= 1 or reserved_ok)

    def utility(f):
        expected = floor if rule == K.RULE_FLOOR_LOTTERY else 1.0
        margin = (expected - firms.unit_cost[f]) / firms.unit_cost[f]
        if not local(f) and rule != K.RULE_FLOOR_LOTTERY:
            margin -= preference
        return (
            behaviour.entry_intercept
            + behaviour.entry_profit * margin
            - behaviour.entry_backlog * backlog[f] / capacity[f]
            + (0.5 if local(f) else -0.5) * cells.local_entry[q]
        )

    for level, group in ((0, notice), (1, notice), (2, notice), (3, sector)):
        candidates = [f for f in group if eligible(f, level)]
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
        firms.unit_cost[f]
        * (1.0 + behaviour.markup + behaviour.bid_noise * uniform(key, t, item, f, streams + K.R_BID))
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
        qualified = [f for f in bidders if firms.unit_cost[f] <= floor]
        if not qualified:
            return bidders[cheapest], bids[cheapest], len(bidders)
        f = qualified[int(uniform(key, t, item, 0, streams + K.R_CHOICE) * len(qualified))]
        return f, floor * (1.0 + behaviour.floor_spread * uniform(key, t, item, f, streams + K.R_BID)), len(bidders)
    scores = []
    for f, e in zip(bidders, evaluated, strict=True):
        is_local = 1.0 if local(f) else 0.0
        gumbel = -math.log(-math.log(uniform(key, t, item, f, streams + K.R_CHOICE)))
        if rule == K.RULE_SCORING:
            contribution = 0.5 * is_local + 0.25 * is_local * (firms.resident_share[f] + firms.local_input_share[f])
            score = (
                behaviour.w_price * min(evaluated) / e
                + behaviour.w_quality * firms.quality[f]
                + (behaviour.w_local + cells.local_weight[q]) * contribution
                + behaviour.w_social * firms.social[f]
            )
            scores.append(score / behaviour.score_temperature + gumbel)
        else:
            scores.append(behaviour.locality_bias * is_local + gumbel)
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
    firms,
    capacity,
    backlog,
    cells,
    behaviour,
    book,
):
    """Award one lot whole, or split when nobody can take it whole; ``book(winner, price, bidders)``
    records each award (and adds it to the winner's backlog before the next piece is tendered)."""
    s = cells.sector[q]
    sector = list(range(firms.sector_start[s], firms.sector_start[s + 1]))
    args = (reserve, sme_only, social_only, firms, capacity, backlog, cells, behaviour)
    winner, ratio, n = award(key, t, item, 0, v, q, *args)
    if winner >= 0 or not sector:
        book(winner, v * ratio, n)
        return

    def room(f):
        return capacity[f] * behaviour.backlog_months - backlog[f]

    def roomiest():
        rooms = [room(f) for f in sector]
        return sector[rooms.index(max(rooms))]

    largest = room(roomiest())
    pieces = K.MAX_SPLIT if largest <= 0 else min(K.MAX_SPLIT, math.ceil(v / largest))
    for k in range(pieces):
        winner, ratio, n = award(key, t, item, (k + 1) * K.SPLIT_STREAMS, v / pieces, q, *args)
        if winner < 0:
            winner = roomiest()
            ratio, n = firms.unit_cost[winner] * (1.0 + behaviour.markup), 1
        book(winner, v / pieces * ratio, n)


def as_lists(bundle):
    """A bundle of arrays (simengine.kernels.bundles) with every array as nested Python lists."""
    return type(bundle)(*(value.tolist() if hasattr(value, "tolist") else value for value in bundle))


def run_periods(key, periods, firms, economy, cells, behaviour):
    """One draw of the monthly loop; returns ``(out_period, out_sector, out_cell, out_flows, out_hhi)`` as lists."""
    firms, economy, cells = as_lists(firms), as_lists(economy), as_lists(cells)
    n_firms, n_sectors, n_cells = len(firms.capacity), len(economy.compensation), len(cells.rate)
    out_period = [[0.0] * K.N_OUT_PERIOD for _ in range(periods)]
    out_sector = [[[0.0] * n_sectors for _ in range(K.N_OUT_SECTOR)] for _ in range(periods)]
    out_cell = [[0.0] * K.N_OUT_CELL for _ in range(n_cells)]
    out_flows = [0.0] * K.N_OUT_FLOWS
    capacity = list(firms.capacity)
    backlog, plan_backlog, awarded = [0.0] * n_firms, [0.0] * n_firms, [0.0] * n_firms
    demand_indirect, demand_induced = [0.0] * n_sectors, [0.0] * n_sectors
    local_weight = [0.0] * n_sectors
    for f in range(n_firms):
        if firms.location[f] == 0:
            local_weight[firms.sector[f]] += firms.market_weight[f]
    expected_budget = sum(rate * value for rate, value in zip(cells.rate, cells.mean_value, strict=True))
    propensity = sum(share * p for share, p in zip(economy.income_share, economy.propensity, strict=True))
    consumption_local = sum(economy.consumption_local)
    capital_local = sum(economy.capital_local)
    wage_tax, profit_tax = behaviour.wage_tax, behaviour.profit_tax
    national_wage_tax, national_profit_tax = behaviour.national_wage_tax, behaviour.national_profit_tax
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
            row[K.O_SME_AWARDS] += price if firms.sme[winner] > 0 else 0.0
            row[K.O_SOCIAL_AWARDS] += price if firms.social[winner] > 0 else 0.0
        if winner >= 0 and firms.location[winner] == 0:
            plan_backlog[winner] += price * cells.coexistence[q]
            row[K.O_LOCAL_AWARDS] += price
            out_cell[q][K.Q_LOCAL] += price
        else:
            row[leak + K.L_NONLOCAL_AWARDS] += price
            srow[K.S_NONLOCAL_AWARDS][cells.sector[q]] += price

    def adjust_capacity(f, demand):
        target = max(firms.capacity[f], demand / behaviour.target_backlog)
        if target > capacity[f]:
            capacity[f] += behaviour.capacity_adjustment * (target - capacity[f])
        else:
            capacity[f] -= behaviour.depreciation * (capacity[f] - target)

    for t in range(periods):
        row, srow = out_period[t], out_sector[t]
        tax_used = behaviour.city_respend * tax_pending
        transfers = behaviour.city_transfer * tax_pending
        row[leak + K.L_NOT_RESPENT] += tax_pending - tax_used - transfers
        scale = 1.0 + tax_used / expected_budget if expected_budget > 0 else 1.0
        tax_pending = 0.0
        item = 0
        for q in range(n_cells):
            sigma = cells.sigma[q]
            for _ in range(poisson(cells.rate[q], uniform(key, t, q, 0, K.R_COUNT))):
                u1, u2 = uniform(key, t, item, 0, K.R_VALUE_1), uniform(key, t, item, 0, K.R_VALUE_2)
                z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
                v = cells.mean_value[q] * math.exp(sigma * z - 0.5 * sigma * sigma) * scale
                row[K.O_ESTIMATED] += v
                reserve_local = False
                if cells.target[q] > 0:
                    base = cells.base_share[q]
                    current = base + (cells.target[q] - base) * min(1.0, (t + 1) / max(cells.ramp[q], 1.0))
                    probability = (current - base) / (1.0 - base) if base < 1.0 else 0.0
                    reserve_local = uniform(key, t, item, 0, K.R_TARGET) < probability
                social_only = uniform(key, t, item, 0, K.R_SOCIAL) < cells.social_target[q]
                n_lots, lot_value = 1, v
                if cells.lot_threshold[q] > 0 and v > cells.lot_threshold[q]:
                    n_lots = min(math.ceil(v / cells.lot_threshold[q]), K.MAX_LOTS)
                    lot_value = v / n_lots * (1.0 + cells.lot_penalty[q])
                    row[K.O_ADMIN] += n_lots * cells.lot_admin[q]
                for lot in range(n_lots):
                    set_aside = lot_value < cells.set_aside[q]
                    if reserve_local or set_aside:
                        restrict = K.RESERVE_CITY
                    elif cells.restricted[q] > 0 and lot_value < cells.restrict_max[q]:
                        restrict = K.RESERVE_REGION
                    else:
                        restrict = K.RESERVE_NONE
                    sme_only = set_aside and cells.set_aside_sme[q] > 0
                    tender(
                        key, t, item * K.MAX_LOTS + lot, lot_value, q, restrict, sme_only, social_only,
                        firms, capacity, backlog, cells, behaviour,
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
            executed = min(backlog[f], capacity[f]) if behaviour.capacity_limits > 0 else backlog[f]
            plan = 0.0
            if executed > 0:
                plan = plan_backlog[f] * executed / backlog[f]
                plan_backlog[f] -= plan
                backlog[f] -= executed
            if behaviour.capacity_limits > 0:
                adjust_capacity(f, demand)
            if firms.location[f] != 0:
                continue
            s = firms.sector[f]
            y_indirect = firms.market_weight[f] * demand_indirect[s]
            y_induced = firms.market_weight[f] * demand_induced[s]
            y = executed + y_indirect + y_induced
            if y <= 0:
                continue
            domestic = economy.domestic_inputs[s]
            has_local = economy.local_inputs[s] > 0
            share = firms.local_input_share[f] if has_local else 0.0
            local_direct = min(max(share * domestic * executed, plan if has_local else 0.0), domestic * executed)
            local_indirect = local_direct + share * domestic * y_indirect
            local_induced = share * domestic * y_induced
            purchases_indirect[s] += local_indirect
            purchases_induced[s] += local_induced
            row[leak + K.L_OTHER_REGIONS] += domestic * y - local_indirect - local_induced
            row[leak + K.L_IMPORTS] += economy.imported[s] * y
            row[leak + K.L_TAXES_LEAVING] += economy.other_inputs[s] * y
            wages = economy.compensation[s] * y
            resident_share = firms.resident_share[f]
            row[K.O_TAX] += wage_tax * wages
            tax_pending += wage_tax * wages
            net_wages = (1.0 - wage_tax - national_wage_tax) * wages
            resident_wages = net_wages * resident_share
            income += resident_wages
            row[leak + K.L_COMMUTERS] += net_wages - resident_wages
            surplus = economy.surplus[s] * y
            row[K.O_TAX] += profit_tax * surplus
            tax_pending += profit_tax * surplus
            row[leak + K.L_TAXES_LEAVING] += national_wage_tax * wages + national_profit_tax * surplus
            after_tax = (1.0 - profit_tax - national_profit_tax) * surplus
            owner = firms.owner_local_share[f]
            replacement = economy.replacement[s] * after_tax  # every local firm, whoever owns it
            distributable = after_tax - replacement
            reinvested = owner * distributable * firms.reinvestment_rate[f]
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
                out_flows[K.F_IMPORTED_INPUTS] += economy.imported[s] * executed
                out_flows[K.F_OTHER_INPUTS] += economy.other_inputs[s] * executed
                out_flows[K.F_RESIDENT_WAGES] += economy.compensation[s] * executed * resident_share
                out_flows[K.F_COMMUTER_WAGES] += economy.compensation[s] * executed * (1.0 - resident_share)
                out_flows[K.F_LOCAL_PROFITS] += economy.surplus[s] * executed * owner
                out_flows[K.F_OUTSIDE_PROFITS] += economy.surplus[s] * executed * (1.0 - owner)
        consumption = propensity * income
        row[K.O_HOUSEHOLD_INCOME], row[K.O_CONSUMPTION], row[K.O_REINVESTMENT] = income, consumption, investment
        row[leak + K.L_NOT_RESPENT] += income - consumption
        row[leak + K.L_SPENDING_OUTSIDE] += consumption * (1.0 - consumption_local)
        row[leak + K.L_OTHER_REGIONS] += investment * (1.0 - capital_local)
        for i in range(n_sectors):
            demand_indirect[i] = sum(economy.local_purchase_mix[i][s] * purchases_indirect[s] for s in range(n_sectors))
            demand_induced[i] = (
                consumption * economy.consumption_local[i]
                + investment * economy.capital_local[i]
                + sum(economy.local_purchase_mix[i][s] * purchases_induced[s] for s in range(n_sectors))
            )
        row[K.O_STOCK] = (
            tax_pending
            + sum(backlog[f] for f in range(n_firms) if firms.location[f] == 0)
            + sum(demand_indirect)
            + sum(demand_induced)
        )
        row[K.O_EXTERNAL] = row[K.O_PAYMENTS] - tax_used
    out_hhi = [0.0] * n_sectors
    for s in range(n_sectors):
        total = sum(awarded[firms.sector_start[s] : firms.sector_start[s + 1]])
        if total > 0:
            out_hhi[s] = sum((a / total) ** 2 for a in awarded[firms.sector_start[s] : firms.sector_start[s + 1]])
    return out_period, out_sector, out_cell, out_flows, out_hhi
