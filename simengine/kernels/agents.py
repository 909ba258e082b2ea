"""Agent-model kernels: contract generation, entry, awards, execution and the local circuit.

Letters as in the model notes: ``F`` firms (sorted by sector), ``n`` sectors, ``Q`` budget
cells, ``G`` household groups, ``T`` periods, ``D`` draws; ``v`` a contract's estimated
value, ``y`` a firm's output in a period. Money is in the caller's monetary unit per period.

Randomness is counter-based: every uniform number is a SplitMix64 hash of
``(draw key, period, contract or cell, firm or slot, stream)``, so a result does not depend
on the order in which draws run or on the number of threads.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .layout import (
    C_BASE_SHARE,
    C_COEXISTENCE,
    C_CREDENTIALS,
    C_LOCAL_WEIGHT,
    C_LOT_ADMIN,
    C_LOT_PENALTY,
    C_LOT_THRESHOLD,
    C_MEAN_VALUE,
    C_PREFERENCE,
    C_PREFERENCE_CAP,
    C_RAMP,
    C_RATE,
    C_RELAXATION,
    C_RESTRICT_MAX,
    C_SET_ASIDE,
    C_SET_ASIDE_SME,
    C_SIGMA,
    C_SOCIAL_TARGET,
    C_TARGET,
    CI_RESTRICTED,
    CI_RULE,
    CI_SECTOR,
    E_CAPITAL_LOCAL,
    E_COMPENSATION,
    E_CONSUMPTION_LOCAL,
    E_DOMESTIC_INPUTS,
    E_IMPORTED,
    E_LOCAL_INPUTS,
    E_OTHER_INPUTS,
    E_SURPLUS,
    F_COMMUTER_WAGES,
    F_IMPORTED_INPUTS,
    F_LOCAL_INPUTS,
    F_LOCAL_PROFITS,
    F_OTHER_INPUTS,
    F_OTHER_REGION_INPUTS,
    F_OUTSIDE_PROFITS,
    F_RESIDENT_WAGES,
    FF_CAPACITY,
    FF_CREDENTIALS,
    FF_LOCAL_INPUT_SHARE,
    FF_MARKET_WEIGHT,
    FF_OWNER_LOCAL,
    FF_QUALITY,
    FF_REINVEST_RATE,
    FF_RESIDENT_SHARE,
    FF_UNIT_COST,
    FI_LOCATION,
    FI_SECTOR,
    FI_SME,
    FI_SOCIAL,
    H_INCOME_SHARE,
    H_PROPENSITY,
    L_COMMUTERS,
    L_IMPORTS,
    L_NONLOCAL_AWARDS,
    L_NOT_RESPENT,
    L_OTHER_REGIONS,
    L_OUTSIDE_OWNERS,
    L_SPENDING_OUTSIDE,
    L_TAXES_LEAVING,
    MAX_LOTS,
    O_ADMIN,
    O_BIDDERS,
    O_CONSUMPTION,
    O_CONTRACTS,
    O_ESTIMATED,
    O_EXTERNAL,
    O_HOUSEHOLD_INCOME,
    O_LEAK,
    O_LOCAL_AWARDS,
    O_PAYMENTS,
    O_REINVESTMENT,
    O_SME_AWARDS,
    O_SOCIAL_AWARDS,
    O_STOCK,
    O_TAX,
    P_BACKLOG_MONTHS,
    P_BID_NOISE,
    P_CAPACITY_LIMITS,
    P_CAPACITY_PER_INVESTMENT,
    P_CITY_RESPEND,
    P_CITY_TRANSFER,
    P_DEPRECIATION,
    P_ENTRY_BACKLOG,
    P_ENTRY_INTERCEPT,
    P_ENTRY_PROFIT,
    P_FLOOR_RATIO,
    P_FLOOR_SPREAD,
    P_LOCALITY_BIAS,
    P_MARKUP,
    P_NATIONAL_PROFIT_TAX,
    P_NATIONAL_WAGE_TAX,
    P_POOL,
    P_PROFIT_TAX,
    P_SCORE_TEMPERATURE,
    P_W_LOCAL,
    P_W_PRICE,
    P_W_QUALITY,
    P_W_SOCIAL,
    P_WAGE_TAX,
    Q_AWARDED,
    Q_BIDDERS,
    Q_CONTRACTS,
    Q_LOCAL,
    R_BID,
    R_CANDIDATE,
    R_CHOICE,
    R_COUNT,
    R_ENTRY,
    R_SOCIAL,
    R_TARGET,
    R_VALUE_1,
    R_VALUE_2,
    RULE_FLOOR_LOTTERY,
    RULE_LOWEST_PRICE,
    RULE_SCORING,
    S_DIRECT,
    S_INDIRECT,
    S_INDUCED,
    S_NONLOCAL_AWARDS,
    S_OUTPUT,
    S_RESIDENT_WAGES,
    S_VALUE_ADDED,
)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ONE = np.uint64(1)
_TWO_POW_M53 = 1.0 / 9007199254740992.0


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    return z ^ (z >> _S31)


@njit(cache=True)
def _uniform(key, period, item, slot, stream):
    """Uniform number in (0, 1) keyed by five non-negative integers (SplitMix64 chain)."""
    h = _mix(np.uint64(key) + _GOLDEN)
    h = _mix(h + _GOLDEN * (np.uint64(period) + _ONE))
    h = _mix(h + _GOLDEN * (np.uint64(item) + _ONE))
    h = _mix(h + _GOLDEN * (np.uint64(slot) + _ONE))
    h = _mix(h + _GOLDEN * (np.uint64(stream) + _ONE))
    return (float(h >> _S11) + 0.5) * _TWO_POW_M53


@njit(cache=True)
def _poisson(rate, u):
    """Poisson variate by inversion (normal approximation above rate 200)."""
    if rate <= 0.0:
        return 0
    if rate > 200.0:
        # normal approximation through the inverse error function
        z = math.sqrt(2.0) * _erfinv(2.0 * u - 1.0)
        return max(0, int(math.floor(rate + math.sqrt(rate) * z + 0.5)))
    p = math.exp(-rate)
    cumulative = p
    k = 0
    while u > cumulative and k < 10000:
        k += 1
        p *= rate / k
        cumulative += p
    return k


@njit(cache=True)
def _erfinv(x):
    """Inverse error function (Giles 2012, single-precision polynomial; used for large Poisson rates)."""
    w = -math.log((1.0 - x) * (1.0 + x))
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        p = 3.43273939e-07 + p * w
        p = -3.5233877e-06 + p * w
        p = -4.39150654e-06 + p * w
        p = 0.00021858087 + p * w
        p = -0.00125372503 + p * w
        p = -0.00417768164 + p * w
        p = 0.246640727 + p * w
        p = 1.50140941 + p * w
    else:
        w = math.sqrt(w) - 3.0
        p = -0.000200214257
        p = 0.000100950558 + p * w
        p = 0.00134934322 + p * w
        p = -0.00367342844 + p * w
        p = 0.00573950773 + p * w
        p = -0.0076224613 + p * w
        p = 0.00943887047 + p * w
        p = 1.00167406 + p * w
        p = 2.83297682 + p * w
    return p * x


@njit(cache=True)
def _allocate_contract(
    key,
    t,
    item,
    v,
    q,
    restrict_local,
    sme_only,
    social_only,
    firm_float,
    firm_int,
    sector_start,
    backlog,
    cells_float,
    cells_int,
    params,
    stamp,
    pool,
    bids,
):
    """Choose the winner of one contract (or lot).

    Returns ``(winner, price_ratio, bidders)``; ``winner = -1`` when the sector has no firm.
    ``price_ratio`` is the price paid per unit of estimated value ``v``.
    """
    s = cells_int[q, CI_SECTOR]
    rule = cells_int[q, CI_RULE]
    lo = sector_start[s]
    hi = sector_start[s + 1]
    n_sector = hi - lo
    if n_sector == 0:
        return -1, 1.0, 0
    pool_size = int(params[P_POOL])
    n_candidates = 0
    if n_sector <= pool_size:
        for f in range(lo, hi):
            pool[n_candidates] = f
            n_candidates += 1
    else:
        for j in range(pool_size):
            f = lo + int(_uniform(key, t, item, j, R_CANDIDATE) * n_sector)
            if stamp[f] != item + 1:
                stamp[f] = item + 1
                pool[n_candidates] = f
                n_candidates += 1
        # reset stamps so that items of later periods may reuse ids
        for j in range(n_candidates):
            stamp[pool[j]] = -1
    required = cells_float[q, C_CREDENTIALS] * (1.0 - cells_float[q, C_RELAXATION])
    preference = cells_float[q, C_PREFERENCE]
    preference_cap = cells_float[q, C_PREFERENCE_CAP]
    floor_ratio = params[P_FLOOR_RATIO]
    capacity_limits = params[P_CAPACITY_LIMITS] > 0.0
    n_bidders = 0
    for level in range(3):
        n_bidders = 0
        best = -1
        best_utility = -np.inf
        for j in range(n_candidates):
            f = pool[j]
            is_local = firm_int[f, FI_LOCATION] == 0
            if level == 0:
                if restrict_local and not is_local:
                    continue
                if sme_only and firm_int[f, FI_SME] == 0:
                    continue
                if social_only and firm_int[f, FI_SOCIAL] == 0:
                    continue
            if level <= 1:
                if firm_float[f, FF_CREDENTIALS] < required:
                    continue
                if capacity_limits and backlog[f] + v > firm_float[f, FF_CAPACITY] * params[P_BACKLOG_MONTHS]:
                    continue
            cost = firm_float[f, FF_UNIT_COST]
            expected_price = floor_ratio if rule == RULE_FLOOR_LOTTERY else 1.0
            margin = (expected_price - cost) / cost
            if not is_local and rule != RULE_FLOOR_LOTTERY:
                margin -= preference
            load = backlog[f] / firm_float[f, FF_CAPACITY]
            utility = params[P_ENTRY_INTERCEPT] + params[P_ENTRY_PROFIT] * margin - params[P_ENTRY_BACKLOG] * load
            if utility > best_utility:
                best_utility = utility
                best = f
            if _uniform(key, t, item, f, R_ENTRY) * (1.0 + math.exp(-utility)) < 1.0:
                pool[n_candidates + n_bidders] = f
                n_bidders += 1
        if n_bidders == 0 and best >= 0:
            pool[n_candidates] = best
            n_bidders = 1
        if n_bidders > 0:
            break
    if n_bidders == 0:
        return -1, 1.0, 0
    # bids (price per unit of estimated value) and evaluated bids (preference applied)
    lowest_evaluated = np.inf
    for j in range(n_bidders):
        f = pool[n_candidates + j]
        bid = firm_float[f, FF_UNIT_COST] * (
            1.0 + params[P_MARKUP] + params[P_BID_NOISE] * _uniform(key, t, item, f, R_BID)
        )
        bids[j] = bid
        evaluated = bid
        if firm_int[f, FI_LOCATION] == 0 and preference > 0.0:
            evaluated = bid - min(preference * bid, preference_cap / v)
        bids[n_bidders + j] = evaluated
        if evaluated < lowest_evaluated:
            lowest_evaluated = evaluated
    winner_slot = 0
    if rule == RULE_LOWEST_PRICE:
        for j in range(1, n_bidders):
            if bids[n_bidders + j] < bids[n_bidders + winner_slot]:
                winner_slot = j
        return pool[n_candidates + winner_slot], bids[winner_slot], n_bidders
    if rule == RULE_FLOOR_LOTTERY:
        n_qualified = 0
        for j in range(n_bidders):
            if firm_float[pool[n_candidates + j], FF_UNIT_COST] <= floor_ratio:
                n_qualified += 1
        if n_qualified == 0:
            for j in range(1, n_bidders):
                if bids[n_bidders + j] < bids[n_bidders + winner_slot]:
                    winner_slot = j
            return pool[n_candidates + winner_slot], bids[winner_slot], n_bidders
        pick = int(_uniform(key, t, item, 0, R_CHOICE) * n_qualified)
        for j in range(n_bidders):
            f = pool[n_candidates + j]
            if firm_float[f, FF_UNIT_COST] <= floor_ratio:
                if pick == 0:
                    price = floor_ratio * (1.0 + params[P_FLOOR_SPREAD] * _uniform(key, t, item, f, R_BID))
                    return f, price, n_bidders
                pick -= 1
    # scoring and negotiated: logit choice by the Gumbel-max trick
    best_score = -np.inf
    for j in range(n_bidders):
        f = pool[n_candidates + j]
        is_local = 1.0 if firm_int[f, FI_LOCATION] == 0 else 0.0
        gumbel = -math.log(-math.log(_uniform(key, t, item, f, R_CHOICE)))
        if rule == RULE_SCORING:
            contribution = 0.5 * is_local + 0.25 * is_local * (
                firm_float[f, FF_RESIDENT_SHARE] + firm_float[f, FF_LOCAL_INPUT_SHARE]
            )
            score = (
                params[P_W_PRICE] * lowest_evaluated / bids[n_bidders + j]
                + params[P_W_QUALITY] * firm_float[f, FF_QUALITY]
                + (params[P_W_LOCAL] + cells_float[q, C_LOCAL_WEIGHT]) * contribution
                + params[P_W_SOCIAL] * firm_int[f, FI_SOCIAL]
            )
            score = score / params[P_SCORE_TEMPERATURE] + gumbel
        else:
            score = params[P_LOCALITY_BIAS] * is_local + gumbel
        if score > best_score:
            best_score = score
            winner_slot = j
    return pool[n_candidates + winner_slot], bids[winner_slot], n_bidders


@njit(cache=True)
def _run_periods(
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
    out_period,
    out_sector,
    out_cell,
    out_flows,
    out_hhi,
):
    """Run one draw of the monthly loop; fill the ``out_*`` arrays; return the number of contracts."""
    n_firms = firm_float.shape[0]
    n_sectors = economy.shape[1]
    n_cells = cells_float.shape[0]
    capacity = firm_float[:, FF_CAPACITY].copy()
    backlog = np.zeros(n_firms)
    backlog_local_plan = np.zeros(n_firms)
    awarded = np.zeros(n_firms)
    stamp = np.full(n_firms, -1, dtype=np.int64)
    pool_size = int(params[P_POOL])
    max_sector = 0
    for s in range(n_sectors):
        max_sector = max(max_sector, sector_start[s + 1] - sector_start[s])
    pool = np.zeros(2 * min(max_sector, pool_size) + 2, dtype=np.int64)
    bids = np.zeros(2 * min(max_sector, pool_size) + 2)
    demand_indirect = np.zeros(n_sectors)
    demand_induced = np.zeros(n_sectors)
    purchases_indirect = np.zeros(n_sectors)
    purchases_induced = np.zeros(n_sectors)
    sector_local_weight = np.zeros(n_sectors)
    for f in range(n_firms):
        if firm_int[f, FI_LOCATION] == 0:
            sector_local_weight[firm_int[f, FI_SECTOR]] += firm_float[f, FF_MARKET_WEIGHT]
    expected_budget = 0.0
    for q in range(n_cells):
        expected_budget += cells_float[q, C_RATE] * cells_float[q, C_MEAN_VALUE]
    propensity = 0.0
    for g in range(household.shape[0]):
        propensity += household[g, H_INCOME_SHARE] * household[g, H_PROPENSITY]
    consumption_local_total = economy[E_CONSUMPTION_LOCAL].sum()
    capital_local_total = economy[E_CAPITAL_LOCAL].sum()
    wage_tax = params[P_WAGE_TAX]
    profit_tax = params[P_PROFIT_TAX]
    net_wage_rate = 1.0 - wage_tax - params[P_NATIONAL_WAGE_TAX]
    net_surplus_rate = 1.0 - profit_tax - params[P_NATIONAL_PROFIT_TAX]
    tax_pending = 0.0
    n_contracts_total = 0
    for t in range(periods):
        row = out_period[t]
        sector_row = out_sector[t]
        # last period's local tax: re-spent through procurement, paid out as transfers, or kept
        tax_used = params[P_CITY_RESPEND] * tax_pending
        transfers = params[P_CITY_TRANSFER] * tax_pending
        row[O_LEAK + L_NOT_RESPENT] += tax_pending - tax_used - transfers
        scale = 1.0 + tax_used / expected_budget if expected_budget > 0.0 else 1.0
        tax_pending = 0.0
        item = 0
        # 1. contracts: draw, reserve, unbundle, award
        for q in range(n_cells):
            n_new = _poisson(cells_float[q, C_RATE], _uniform(key, t, q, 0, R_COUNT))
            sigma = cells_float[q, C_SIGMA]
            for _ in range(n_new):
                u1 = _uniform(key, t, item, 0, R_VALUE_1)
                u2 = _uniform(key, t, item, 0, R_VALUE_2)
                z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
                v = cells_float[q, C_MEAN_VALUE] * math.exp(sigma * z - 0.5 * sigma * sigma) * scale
                row[O_ESTIMATED] += v
                reserve_local = False
                target = cells_float[q, C_TARGET]
                if target > 0.0:
                    base = cells_float[q, C_BASE_SHARE]
                    ramp = max(cells_float[q, C_RAMP], 1.0)
                    current = base + (target - base) * min(1.0, (t + 1) / ramp)
                    reserve_probability = (current - base) / (1.0 - base) if base < 1.0 else 0.0
                    reserve_local = _uniform(key, t, item, 0, R_TARGET) < reserve_probability
                social_only = _uniform(key, t, item, 0, R_SOCIAL) < cells_float[q, C_SOCIAL_TARGET]
                n_lots = 1
                lot_value = v
                threshold = cells_float[q, C_LOT_THRESHOLD]
                if threshold > 0.0 and v > threshold:
                    n_lots = min(int(math.ceil(v / threshold)), MAX_LOTS)
                    lot_value = v / n_lots * (1.0 + cells_float[q, C_LOT_PENALTY])
                    row[O_ADMIN] += n_lots * cells_float[q, C_LOT_ADMIN]
                for lot in range(n_lots):
                    lot_item = item * MAX_LOTS + lot
                    set_aside = lot_value < cells_float[q, C_SET_ASIDE]
                    restrict_local = (
                        reserve_local
                        or set_aside
                        or (cells_int[q, CI_RESTRICTED] > 0 and lot_value < cells_float[q, C_RESTRICT_MAX])
                    )
                    sme_only = set_aside and cells_float[q, C_SET_ASIDE_SME] > 0.0
                    winner, price_ratio, n_bidders = _allocate_contract(
                        key,
                        t,
                        lot_item,
                        lot_value,
                        q,
                        restrict_local,
                        sme_only,
                        social_only,
                        firm_float,
                        firm_int,
                        sector_start,
                        backlog,
                        cells_float,
                        cells_int,
                        params,
                        stamp,
                        pool,
                        bids,
                    )
                    price = lot_value * price_ratio
                    row[O_PAYMENTS] += price
                    row[O_CONTRACTS] += 1.0
                    row[O_BIDDERS] += n_bidders
                    out_cell[q, Q_AWARDED] += price
                    out_cell[q, Q_CONTRACTS] += 1.0
                    out_cell[q, Q_BIDDERS] += n_bidders
                    s = cells_int[q, CI_SECTOR]
                    if winner >= 0:
                        backlog[winner] += price
                        awarded[winner] += price
                        if firm_int[winner, FI_SME] > 0:
                            row[O_SME_AWARDS] += price
                        if firm_int[winner, FI_SOCIAL] > 0:
                            row[O_SOCIAL_AWARDS] += price
                    if winner >= 0 and firm_int[winner, FI_LOCATION] == 0:
                        backlog_local_plan[winner] += price * cells_float[q, C_COEXISTENCE]
                        row[O_LOCAL_AWARDS] += price
                        out_cell[q, Q_LOCAL] += price
                    else:
                        row[O_LEAK + L_NONLOCAL_AWARDS] += price
                        sector_row[S_NONLOCAL_AWARDS, s] += price
                    n_contracts_total += 1
                item += 1
        # 2. execution by local firms: backlog (direct) and market demand (indirect, induced)
        purchases_indirect[:] = 0.0
        purchases_induced[:] = 0.0
        household_income = transfers
        investment = 0.0
        for s in range(n_sectors):
            if sector_local_weight[s] <= 0.0:
                row[O_LEAK + L_OTHER_REGIONS] += demand_indirect[s] + demand_induced[s]
        for f in range(n_firms):
            executed = backlog[f]
            if params[P_CAPACITY_LIMITS] > 0.0:
                executed = min(executed, capacity[f])
            if firm_int[f, FI_LOCATION] != 0:
                backlog[f] -= executed
                capacity[f] *= 1.0 - params[P_DEPRECIATION]
                continue
            plan = 0.0
            if executed > 0.0:
                plan = backlog_local_plan[f] * executed / backlog[f]
                backlog_local_plan[f] -= plan
                backlog[f] -= executed
            s = firm_int[f, FI_SECTOR]
            weight = firm_float[f, FF_MARKET_WEIGHT]
            y_indirect = weight * demand_indirect[s]
            y_induced = weight * demand_induced[s]
            y = executed + y_indirect + y_induced
            capacity[f] *= 1.0 - params[P_DEPRECIATION]
            if y <= 0.0:
                continue
            domestic = economy[E_DOMESTIC_INPUTS, s]
            local_input_share = firm_float[f, FF_LOCAL_INPUT_SHARE] if economy[E_LOCAL_INPUTS, s] > 0.0 else 0.0
            local_direct = max(
                local_input_share * domestic * executed, plan if economy[E_LOCAL_INPUTS, s] > 0.0 else 0.0
            )
            local_direct = min(local_direct, domestic * executed)
            local_indirect = local_direct + local_input_share * domestic * y_indirect
            local_induced = local_input_share * domestic * y_induced
            purchases_indirect[s] += local_indirect
            purchases_induced[s] += local_induced
            row[O_LEAK + L_OTHER_REGIONS] += domestic * y - local_indirect - local_induced
            row[O_LEAK + L_IMPORTS] += economy[E_IMPORTED, s] * y
            row[O_LEAK + L_TAXES_LEAVING] += economy[E_OTHER_INPUTS, s] * y
            wages = economy[E_COMPENSATION, s] * y
            resident_share = firm_float[f, FF_RESIDENT_SHARE]
            # local wage tax at the workplace on all wages, national taxes leave, then the split
            row[O_TAX] += wage_tax * wages
            tax_pending += wage_tax * wages
            net_wages = net_wage_rate * wages
            resident_wages = net_wages * resident_share
            household_income += resident_wages
            row[O_LEAK + L_COMMUTERS] += net_wages - resident_wages
            surplus = economy[E_SURPLUS, s] * y
            row[O_TAX] += profit_tax * surplus
            tax_pending += profit_tax * surplus
            row[O_LEAK + L_TAXES_LEAVING] += (
                params[P_NATIONAL_WAGE_TAX] * wages + params[P_NATIONAL_PROFIT_TAX] * surplus
            )
            after_tax = net_surplus_rate * surplus
            owner_share = firm_float[f, FF_OWNER_LOCAL]
            reinvested = owner_share * after_tax * firm_float[f, FF_REINVEST_RATE]
            investment += reinvested
            capacity[f] += params[P_CAPACITY_PER_INVESTMENT] * reinvested
            household_income += owner_share * after_tax - reinvested
            row[O_LEAK + L_OUTSIDE_OWNERS] += (1.0 - owner_share) * after_tax
            sector_row[S_OUTPUT, s] += y
            sector_row[S_VALUE_ADDED, s] += wages + surplus
            sector_row[S_RESIDENT_WAGES, s] += wages * resident_share
            sector_row[S_DIRECT, s] += executed
            sector_row[S_INDIRECT, s] += y_indirect
            sector_row[S_INDUCED, s] += y_induced
            if executed > 0.0:
                out_flows[F_LOCAL_INPUTS] += local_direct
                out_flows[F_OTHER_REGION_INPUTS] += domestic * executed - local_direct
                out_flows[F_IMPORTED_INPUTS] += economy[E_IMPORTED, s] * executed
                out_flows[F_OTHER_INPUTS] += economy[E_OTHER_INPUTS, s] * executed
                out_flows[F_RESIDENT_WAGES] += economy[E_COMPENSATION, s] * executed * resident_share
                out_flows[F_COMMUTER_WAGES] += economy[E_COMPENSATION, s] * executed * (1.0 - resident_share)
                out_flows[F_LOCAL_PROFITS] += economy[E_SURPLUS, s] * executed * owner_share
                out_flows[F_OUTSIDE_PROFITS] += economy[E_SURPLUS, s] * executed * (1.0 - owner_share)
        # 3. households and reinvestment: next period's local demand
        consumption = propensity * household_income
        row[O_HOUSEHOLD_INCOME] = household_income
        row[O_CONSUMPTION] = consumption
        row[O_REINVESTMENT] = investment
        row[O_LEAK + L_NOT_RESPENT] += household_income - consumption
        row[O_LEAK + L_SPENDING_OUTSIDE] += consumption * (1.0 - consumption_local_total)
        row[O_LEAK + L_OTHER_REGIONS] += investment * (1.0 - capital_local_total)
        for i in range(n_sectors):
            indirect = 0.0
            induced = consumption * economy[E_CONSUMPTION_LOCAL, i] + investment * economy[E_CAPITAL_LOCAL, i]
            for s in range(n_sectors):
                indirect += local_purchase_mix[i, s] * purchases_indirect[s]
                induced += local_purchase_mix[i, s] * purchases_induced[s]
            demand_indirect[i] = indirect
            demand_induced[i] = induced
        stock = tax_pending
        for f in range(n_firms):
            if firm_int[f, FI_LOCATION] == 0:
                stock += backlog[f]
        for i in range(n_sectors):
            stock += demand_indirect[i] + demand_induced[i]
        row[O_STOCK] = stock
        row[O_EXTERNAL] = row[O_PAYMENTS] - tax_used
    # concentration of awards by sector (Herfindahl-Hirschman index, shares squared)
    for s in range(n_sectors):
        total = 0.0
        for f in range(sector_start[s], sector_start[s + 1]):
            total += awarded[f]
        if total > 0.0:
            concentration = 0.0
            for f in range(sector_start[s], sector_start[s + 1]):
                concentration += (awarded[f] / total) ** 2
            out_hhi[s] = concentration
    return n_contracts_total


@njit(cache=True, parallel=True)
def _run_draws(
    keys,
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
    out_period,
    out_sector,
    out_cell,
    out_flows,
    out_hhi,
):
    """Run independent draws in parallel; draw ``d`` writes only ``out_*[d]``. Returns contracts run."""
    counts = np.zeros(keys.shape[0], dtype=np.int64)
    for d in prange(keys.shape[0]):
        counts[d] = _run_periods(
            keys[d],
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
            out_period[d],
            out_sector[d],
            out_cell[d],
            out_flows[d],
            out_hhi[d],
        )
    total = 0
    for d in range(keys.shape[0]):
        total += counts[d]
    return total
