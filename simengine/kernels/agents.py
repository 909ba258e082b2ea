"""Agent-model kernels: contract generation, entry, awards, execution and the local circuit.

Letters as in the model notes (docs/agents.md): ``F`` firms (sorted by sector), ``n`` sectors,
``Q`` budget cells, ``G`` household groups, ``T`` periods, ``D`` draws; ``v`` a contract's
estimated value, ``y`` a firm's output in a period. Money is in the caller's monetary unit per
period (month). Array layouts (which column holds what) are named in
:mod:`simengine.kernels.layout`; the kernels below read them as ``K.<NAME>``.

One month of one draw is, in order (:func:`_run_periods`):

1. :func:`_issue_contracts` draws each cell's contracts, applies reservations and
   unbundling, and tenders each lot (:func:`_tender`, which calls :func:`_allocate_contract`
   and, when no firm can take a lot whole, splits it); :func:`_book_award` records the award.
2. :func:`_execute` lets every firm execute its backlog up to its capacity, and local firms
   produce for last month's local market demand; their wages, surplus and taxes go through
   the circuit; :func:`_adjust_capacity` moves capacity towards demand.
3. :func:`_respend` turns resident income and investment into next month's local demand.

Random numbers are drawn inside the kernel, not passed in, because how many are needed is
only known as the month unfolds (contracts per cell, candidates, bidders, split pieces), and
because a counter-based generator makes each number a pure function of
``(draw key, period, contract or cell, firm or slot, stream)``: a result does not depend on
the order in which draws run, on the number of threads, or on how the periods are sliced.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from . import layout as K

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ONE = np.uint64(1)
_TWO_POW_M53 = 1.0 / 9007199254740992.0

#: Options of the steps that allocate no arrays: compiled without numba's reference-counting
#: runtime (``_nrt=False``), every read of a bundle's array (``firms.capacity[f]``) is a plain
#: load. With the runtime, each such read inside a loop increments and decrements the array's
#: reference count (calls into the runtime, which also keep the compiler from hoisting loads),
#: which made a Gwangmyeong-scale run three times slower. The steps' callers own every array.
_NO_REFCOUNT = {"cache": True, "_nrt": False}


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    return z ^ (z >> _S31)


@njit(cache=True)
def _contract_hash(key, period, item):
    """The first three links of :func:`_uniform`'s chain, shared by every number of one contract.

    A contract's candidates, entry decisions, bids and choice all use the same ``(key, period,
    item)``; hashing that prefix once and finishing it with :func:`_uniform_of` gives the same
    bits as :func:`_uniform` with two mixing rounds per number instead of five.
    """
    h = _mix(np.uint64(key) + _GOLDEN)
    h = _mix(h + _GOLDEN * (np.uint64(period) + _ONE))
    return _mix(h + _GOLDEN * (np.uint64(item) + _ONE))


@njit(cache=True)
def _uniform_of(prefix, slot, stream):
    """Uniform number in (0, 1) of ``(slot, stream)`` under a :func:`_contract_hash` ``prefix``."""
    h = _mix(prefix + _GOLDEN * (np.uint64(slot) + _ONE))
    h = _mix(h + _GOLDEN * (np.uint64(stream) + _ONE))
    return (float(h >> _S11) + 0.5) * _TWO_POW_M53


@njit(cache=True)
def _uniform(key, period, item, slot, stream):
    """Uniform number in (0, 1) keyed by five non-negative integers (SplitMix64 chain)."""
    return _uniform_of(_contract_hash(key, period, item), slot, stream)


#: ``exp(j)`` for whole ``j`` in ``[-_EXP_RANGE, _EXP_RANGE]`` and ``exp(i / 1024)`` for ``i`` in ``[0, 1024)``:
#: with a quadratic for the rest, :func:`_enters` evaluates ``exp`` to a relative error below 2e-10.
_EXP_RANGE = 40
_EXP_WHOLE = np.exp(np.arange(-_EXP_RANGE, _EXP_RANGE + 1, dtype=np.float64))
_EXP_FRACTION = np.exp(np.arange(1024, dtype=np.float64) / 1024.0)
#: Margin around 1 within which :func:`_enters` decides with ``math.exp`` itself: well above the
#: table's error (2e-10) plus the rounding of both products (a few 1e-16).
_ENTRY_MARGIN = 1e-8


@njit(cache=True, inline="always")
def _enters(u, utility):
    """Whether a candidate with logit ``utility`` and uniform draw ``u`` bids: ``u x (1 + exp(-utility)) < 1``.

    The decision is exactly the one ``math.exp`` gives, at a fraction of its cost: ``exp(-utility)``
    is two table entries times a quadratic (relative error below 2e-10, no call), and only when the
    product lies within :data:`_ENTRY_MARGIN` of 1, or ``utility`` is outside ``(-40, 40)``, is it
    recomputed with ``math.exp`` (about one candidate in 10^8).
    """
    x = -utility
    if -_EXP_RANGE < x < _EXP_RANGE:
        n = int(math.floor(x * 1024.0))
        whole = n >> 10  # floor(n / 1024)
        r = x - n * (1.0 / 1024.0)  # in [0, 1/1024]
        quadratic = 1.0 + r * (1.0 + 0.5 * r)
        product = u * (1.0 + _EXP_WHOLE[whole + _EXP_RANGE] * _EXP_FRACTION[n & 1023] * quadratic)
        if abs(product - 1.0) > _ENTRY_MARGIN:
            return product < 1.0
    return u * (1.0 + math.exp(x)) < 1.0


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


# --------------------------------------------------------------------------------------------
# The award of one contract (docs/agents.md, "Awards")
# --------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _candidate_pool(prefix, streams, lo, hi, pool_size, stamp, pool):
    """Write the firms of the sector range ``[lo, hi)`` that see the notice into ``pool``.

    All of the sector's firms when it has at most ``pool_size``, else ``pool_size`` draws with
    replacement (duplicates dropped). ``stamp`` (all -1, at least as long as the largest sector)
    marks drawn firms by their place in the sector, ``f - lo`` (a small array, so that it stays
    in the core's first-level cache), and is reset before returning. Returns the number of
    candidates.
    """
    if hi - lo <= pool_size:
        for f in range(lo, hi):
            pool[f - lo] = f
        return hi - lo
    n_candidates = 0
    for j in range(pool_size):
        place = int(_uniform_of(prefix, j, streams + K.R_CANDIDATE) * (hi - lo))
        if stamp[place] < 0:
            stamp[place] = 1
            pool[n_candidates] = lo + place
            n_candidates += 1
    for j in range(n_candidates):
        stamp[pool[j] - lo] = -1
    return n_candidates


@njit(cache=True, inline="always")
def _eligible(f, level, v, reserve, sme_only, social_only, required, firms, capacity, backlog, behaviour):
    """Whether firm ``f`` may bid for a contract of value ``v`` at re-tender ``level``.

    Level 0 applies the contract's reservations (``reserve``: ``RESERVE_CITY`` for firms of the
    city, ``RESERVE_REGION`` for firms of the city or its province, as a regionally restricted
    tender; SME; social economy); levels 0 and 1
    the track-record requirement ``required``; every level the capacity test: the firm's
    backlog plus ``v`` must not exceed what it executes in the contract's duration
    (``capacity x backlog_months``, current capacity), when capacity limits are on.
    """
    if level == 0:
        if reserve == K.RESERVE_CITY and firms.location[f] != K.LOCATION_LOCAL:
            return False
        if reserve == K.RESERVE_REGION and firms.location[f] == K.LOCATION_NATION:
            return False
        if sme_only and firms.sme[f] == 0:
            return False
        if social_only and firms.social[f] == 0:
            return False
    if level <= 1 and firms.credentials[f] < required:
        return False
    if behaviour.capacity_limits > 0.0 and backlog[f] + v > capacity[f] * behaviour.backlog_months:
        return False
    return True


@njit(cache=True)
def entry_margins(firms, behaviour):
    """Each firm's expected margin ``(price - unit cost) / unit cost`` per unit of estimated value.

    Returns a (2, F) array: row 0 at a price of the estimated value (the rules other than the
    floor lottery), row 1 at the floor (``floor_ratio``). Computed once per call of
    :func:`_run_periods`, so that no award divides by a firm's cost.
    """
    cost = firms.unit_cost
    margins = np.empty((2, cost.shape[0]))
    for f in range(cost.shape[0]):
        margins[0, f] = (1.0 - cost[f]) / cost[f]
        margins[1, f] = (behaviour.floor_ratio - cost[f]) / cost[f]
    return margins


@njit(cache=True, inline="always")
def _entry_utility(f, rule, preference, local_bias, firms, margins, capacity, backlog, behaviour):
    """Logit utility of bidding: ``intercept + profit_slope x margin - backlog_slope x backlog / capacity``,
    plus half of ``local_bias`` (the method's calibrated log-odds) for a local firm and minus half
    of it for a firm from elsewhere; ``margins`` is :func:`entry_margins`."""
    margin = margins[1 if rule == K.RULE_FLOOR_LOTTERY else 0, f]
    if firms.location[f] != K.LOCATION_LOCAL and rule != K.RULE_FLOOR_LOTTERY:
        margin -= preference
    load = backlog[f] / capacity[f]
    utility = behaviour.entry_intercept + behaviour.entry_profit * margin - behaviour.entry_backlog * load
    return utility + (0.5 if firms.location[f] == K.LOCATION_LOCAL else -0.5) * local_bias


@njit(cache=True, inline="always")
def _bid(prefix, streams, f, v, preference, preference_cap, firms, behaviour):
    """Firm ``f``'s bid per unit of estimated value and its evaluated bid (local preference applied)."""
    bid = firms.unit_cost[f] * (
        1.0 + behaviour.markup + behaviour.bid_noise * _uniform_of(prefix, f, streams + K.R_BID)
    )
    evaluated = bid
    if firms.location[f] == K.LOCATION_LOCAL and preference > 0.0:
        evaluated = bid - min(preference * bid, preference_cap / v)
    return bid, evaluated


@njit(**_NO_REFCOUNT)
def _logit_winner(prefix, streams, q, rule, n_bidders, bidders, evaluated, firms, cells, behaviour):
    """The slot of ``bidders[:n_bidders]`` with the highest score plus a Gumbel draw (first on ties).

    Scoring: ``(w_price x lowest / evaluated + w_quality x quality + (w_local + cell weight) x local
    contribution + w_social x social) / temperature``; negotiated: ``locality_bias`` for a local firm
    (``evaluated``, the evaluated bids, is read only by scoring).
    """
    lowest = 0.0
    if rule == K.RULE_SCORING:
        lowest = evaluated[0]
        for j in range(1, n_bidders):
            lowest = min(lowest, evaluated[j])
    winner, best_score = 0, -np.inf
    for j in range(n_bidders):
        f = bidders[j]
        is_local = 1.0 if firms.location[f] == K.LOCATION_LOCAL else 0.0
        gumbel = -math.log(-math.log(_uniform_of(prefix, f, streams + K.R_CHOICE)))
        if rule == K.RULE_SCORING:
            contribution = 0.5 * is_local + 0.25 * is_local * (firms.resident_share[f] + firms.local_input_share[f])
            score = (
                behaviour.w_price * lowest / evaluated[j]
                + behaviour.w_quality * firms.quality[f]
                + (behaviour.w_local + cells.local_weight[q]) * contribution
                + behaviour.w_social * firms.social[f]
            )
            score = score / behaviour.score_temperature + gumbel
        else:
            score = behaviour.locality_bias * is_local + gumbel
        if score > best_score:
            best_score = score
            winner = j
    return winner


#: Two bidders of one group whose draws differ by more than this (times ``1 + |locality_bias|``)
#: have distinct negotiated scores in the order of their draws (see :func:`_negotiated_winner`).
_GUMBEL_GAP = 1e-9


@njit(**_NO_REFCOUNT)
def _negotiated_winner(prefix, streams, q, n_bidders, bidders, evaluated, firms, cells, behaviour):
    """:func:`_logit_winner` of a negotiated award, with two Gumbel draws instead of one per bidder.

    A negotiated score is ``locality_bias x is_local + Gumbel(U)``, the Gumbel draw
    ``-log(-log U)`` rising with ``U`` by at least ``e`` per unit of ``U``. Within the local
    bidders, and within the others, the highest score is therefore the highest ``U``; only these
    two scores are computed and compared (the earlier slot wins a tie, as in the full loop).
    When the two highest draws of a group are within :data:`_GUMBEL_GAP` (so close that the
    rounding of the logarithms might order them otherwise), every score is computed.
    ``evaluated`` only passes through to :func:`_logit_winner`, which does not read it here.
    """
    top, second, slot = -1.0, -1.0, -1  # the two highest draws of local bidders, the slot of the first
    other_top, other_second, other_slot = -1.0, -1.0, -1  # and of the others
    for j in range(n_bidders):
        f = bidders[j]
        u = _uniform_of(prefix, f, streams + K.R_CHOICE)
        if firms.location[f] == K.LOCATION_LOCAL:
            if u > top:
                top, second, slot = u, top, j
            elif u > second:
                second = u
        elif u > other_top:
            other_top, other_second, other_slot = u, other_top, j
        elif u > other_second:
            other_second = u
    gap = _GUMBEL_GAP * (1.0 + abs(behaviour.locality_bias))
    if (top >= 0.0 and top - second <= gap) or (other_top >= 0.0 and other_top - other_second <= gap):
        rule = K.RULE_NEGOTIATED
        return _logit_winner(prefix, streams, q, rule, n_bidders, bidders, evaluated, firms, cells, behaviour)
    if top < 0.0:
        return other_slot
    if other_top < 0.0:
        return slot
    local_score = behaviour.locality_bias * 1.0 + -math.log(-math.log(top))
    other_score = behaviour.locality_bias * 0.0 + -math.log(-math.log(other_top))
    if local_score > other_score or (local_score == other_score and slot < other_slot):
        return slot
    return other_slot


@njit(**_NO_REFCOUNT)
def _choose(prefix, streams, q, rule, v, n_bidders, bidders, bids, firms, cells, behaviour):
    """The winning slot among ``bidders[:n_bidders]`` and the price per unit of estimated value.

    Negotiated: logit choice on the locality bias (:func:`_negotiated_winner`), at the winner's
    bid. Floor lottery: a uniform pick among bidders whose cost is at or below the floor (price =
    floor x (1 + spread x U)); the lowest evaluated bid when none is. Lowest price: the lowest
    evaluated bid. Scoring: logit choice by the Gumbel-max trick on the score (price, quality,
    local contribution, social economy), :func:`_logit_winner`. Bids (:func:`_bid`) are
    computed only where the rule reads them, into ``bids`` (scratch of length at least
    ``2 x n_bidders``: bids, then evaluated bids).
    """
    preference, preference_cap = cells.preference[q], cells.preference_cap[q]
    if rule == K.RULE_NEGOTIATED:
        winner = _negotiated_winner(prefix, streams, q, n_bidders, bidders, bids, firms, cells, behaviour)
        return winner, _bid(prefix, streams, bidders[winner], v, preference, preference_cap, firms, behaviour)[0]
    if rule == K.RULE_FLOOR_LOTTERY:
        floor = behaviour.floor_ratio
        n_qualified = 0
        for j in range(n_bidders):
            if firms.unit_cost[bidders[j]] <= floor:
                n_qualified += 1
        if n_qualified > 0:
            pick = int(_uniform_of(prefix, 0, streams + K.R_CHOICE) * n_qualified)
            for j in range(n_bidders):
                f = bidders[j]
                if firms.unit_cost[f] <= floor:
                    if pick == 0:
                        return j, floor * (1.0 + behaviour.floor_spread * _uniform_of(prefix, f, streams + K.R_BID))
                    pick -= 1
    for j in range(n_bidders):
        bids[j], bids[n_bidders + j] = _bid(
            prefix, streams, bidders[j], v, preference, preference_cap, firms, behaviour
        )
    evaluated = bids[n_bidders : 2 * n_bidders]
    winner = 0
    if rule == K.RULE_SCORING:
        winner = _logit_winner(prefix, streams, q, rule, n_bidders, bidders, evaluated, firms, cells, behaviour)
    else:
        for j in range(1, n_bidders):
            if evaluated[j] < evaluated[winner]:
                winner = j
    return winner, bids[winner]


@njit(**_NO_REFCOUNT)
def _allocate_contract(
    key, t, item, streams, v, q, reserve, sme_only, social_only,
    firms, capacity, backlog, cells, behaviour, stamp, pool, bids, margins,
):  # fmt: skip
    """Choose the winner of one contract (or lot or piece) of estimated value ``v`` in cell ``q``.

    Re-tenders widen until some firm is eligible (:func:`_eligible`): level 0 is the notice as
    issued (pool of candidates, reservations, track record, capacity); level 1 re-tenders it
    open (reservations dropped); level 2 waives the track-record requirement; level 3 re-tenders
    it to every firm of the sector (rare: only when no candidate of the notice has room).
    Eligible candidates bid with the logit probability of :func:`_entry_utility`; when none
    does, the eligible candidate with the highest utility is
    invited (a negotiated award). ``streams`` offsets the random streams (pieces of a split
    contract). ``pool`` and ``bids`` are scratch of length ``2 x largest sector + 2``; ``margins``
    is :func:`entry_margins`.

    Returns ``(winner, price_ratio, bidders)``: ``winner = -1`` when no firm of the sector is
    eligible even at level 3; ``price_ratio`` is the price per unit of ``v``.
    """
    s = cells.sector[q]
    rule = cells.rule[q]
    lo, hi = firms.sector_start[s], firms.sector_start[s + 1]
    required = cells.credentials[q] * (1.0 - cells.relaxation[q])
    preference = cells.preference[q]
    prefix = _contract_hash(key, t, item)
    # levels 0-2 re-tender the notice to the same candidates: draw them once
    n_notice = _candidate_pool(prefix, streams, lo, hi, int(behaviour.pool), stamp, pool)
    for level in range(4):
        if level < 3:
            n_candidates = n_notice
        else:
            n_candidates = hi - lo
            for f in range(lo, hi):
                pool[f - lo] = f
        n_bidders = 0
        best, best_utility = -1, -np.inf
        for j in range(n_candidates):
            f = pool[j]
            if not _eligible(
                f,
                level,
                v,
                reserve,
                sme_only,
                social_only,
                required,
                firms,
                capacity,
                backlog,
                behaviour,
            ):
                continue
            utility = _entry_utility(
                f, rule, preference, cells.local_entry[q], firms, margins, capacity, backlog, behaviour
            )  # fmt: skip
            if utility > best_utility:
                best, best_utility = f, utility
            # written whether or not ``f`` bids, kept when it does: no branch on a coin flip
            pool[n_candidates + n_bidders] = f
            n_bidders += _enters(_uniform_of(prefix, f, streams + K.R_ENTRY), utility)
        if n_bidders == 0 and best >= 0:
            pool[n_candidates] = best
            n_bidders = 1
        if n_bidders > 0:
            bidders = pool[n_candidates : n_candidates + n_bidders]
            slot, price_ratio = _choose(prefix, streams, q, rule, v, n_bidders, bidders, bids, firms, cells, behaviour)
            return bidders[slot], price_ratio, n_bidders
    return -1, 1.0, 0


@njit(cache=True, inline="always")
def _most_spare(lo, hi, capacity, backlog, behaviour):
    """The firm of ``[lo, hi)`` with the most spare room (``capacity x backlog_months - backlog``) and that room."""
    best, room = lo, -np.inf
    for f in range(lo, hi):
        spare = capacity[f] * behaviour.backlog_months - backlog[f]
        if spare > room:
            best, room = f, spare
    return best, room


@njit(cache=True, inline="always")
def _book_award(q, winner, price, n_bidders, firms, cells, state_firm, row, sector_row, out_cell):
    """Record an award of ``price`` to ``winner`` (-1: no firm, the money leaves as a non-local award)."""
    row[K.O_PAYMENTS] += price
    row[K.O_CONTRACTS] += 1.0
    row[K.O_BIDDERS] += n_bidders
    out_cell[q, K.Q_AWARDED] += price
    out_cell[q, K.Q_CONTRACTS] += 1.0
    out_cell[q, K.Q_BIDDERS] += n_bidders
    if winner >= 0:
        state_firm[K.SF_BACKLOG, winner] += price
        state_firm[K.SF_AWARDED, winner] += price
        if firms.sme[winner] > 0:
            row[K.O_SME_AWARDS] += price
        if firms.social[winner] > 0:
            row[K.O_SOCIAL_AWARDS] += price
    if winner >= 0 and firms.location[winner] == K.LOCATION_LOCAL:
        state_firm[K.SF_PLAN, winner] += price * cells.coexistence[q]
        row[K.O_LOCAL_AWARDS] += price
        out_cell[q, K.Q_LOCAL] += price
    else:
        row[K.O_LEAK + K.L_NONLOCAL_AWARDS] += price
        sector_row[K.S_NONLOCAL_AWARDS, cells.sector[q]] += price


@njit(**_NO_REFCOUNT)
def _tender(
    key, t, item, v, q, reserve, sme_only, social_only,
    firms, cells, behaviour, state_firm, scratch, row, sector_row, out_cell,
):  # fmt: skip
    """Tender one lot of value ``v``; split it when no firm can take it whole. Returns the pieces awarded.

    Splitting: the lot becomes ``k = ceil(v / room)`` equal pieces (at most ``MAX_SPLIT``),
    ``room`` being the largest spare room of a firm of the sector, and each piece is tendered
    like a contract. A piece that still finds nobody eligible goes to the firm with the most
    spare room at its cost plus markup (the only case where a backlog may exceed
    ``capacity x backlog_months``, by at most one piece).
    """
    stamp, pool, bids, margins = scratch
    capacity, backlog = state_firm[K.SF_CAPACITY], state_firm[K.SF_BACKLOG]
    s = cells.sector[q]
    lo, hi = firms.sector_start[s], firms.sector_start[s + 1]
    winner, ratio, n_bidders = _allocate_contract(
        key, t, item, 0, v, q, reserve, sme_only, social_only,
        firms, capacity, backlog, cells, behaviour, stamp, pool, bids, margins,
    )  # fmt: skip
    if winner >= 0 or lo == hi:
        _book_award(q, winner, v * ratio, n_bidders, firms, cells, state_firm, row, sector_row, out_cell)
        return 1
    _, room = _most_spare(lo, hi, capacity, backlog, behaviour)
    pieces = K.MAX_SPLIT if room <= 0.0 else min(K.MAX_SPLIT, int(math.ceil(v / room)))
    piece = v / pieces
    for k in range(pieces):
        winner, ratio, n_bidders = _allocate_contract(
            key, t, item, (k + 1) * K.SPLIT_STREAMS, piece, q, reserve, sme_only, social_only,
            firms, capacity, backlog, cells, behaviour, stamp, pool, bids, margins,
        )  # fmt: skip
        if winner < 0:
            winner, _ = _most_spare(lo, hi, capacity, backlog, behaviour)
            ratio, n_bidders = firms.unit_cost[winner] * (1.0 + behaviour.markup), 1
        _book_award(q, winner, piece * ratio, n_bidders, firms, cells, state_firm, row, sector_row, out_cell)
    return pieces


# --------------------------------------------------------------------------------------------
# One month (docs/agents.md, "The monthly loop")
# --------------------------------------------------------------------------------------------


@njit(**_NO_REFCOUNT)
def _issue_contracts(
    key, t, scale, firms, cells, behaviour, state_firm, scratch,
    row, sector_row, out_cell,
):  # fmt: skip
    """Step 1: draw every cell's contracts of month ``t`` and tender them; return the lots awarded.

    Contract counts are Poisson with the cell's monthly rate; values lognormal with the cell's
    mean (times ``scale``, the re-spent tax) and log-sd. A ``local_share_target`` reserves a
    contract for local firms with the probability that lifts the baseline share to the ramped
    target; a social-economy target reserves it for social-economy firms; unbundling cuts a
    contract above the lot threshold into lots (with a price penalty and administration cost);
    a set-aside reserves small lots for local firms (SMEs if asked); a regionally restricted
    method reserves lots below its ceiling for firms of the city or its province.
    """
    item, awarded = 0, 0
    for q in range(cells.rate.shape[0]):
        n_new = _poisson(cells.rate[q], _uniform(key, t, q, 0, K.R_COUNT))
        sigma = cells.sigma[q]
        for _ in range(n_new):
            u1 = _uniform(key, t, item, 0, K.R_VALUE_1)
            u2 = _uniform(key, t, item, 0, K.R_VALUE_2)
            z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
            v = cells.mean_value[q] * math.exp(sigma * z - 0.5 * sigma * sigma) * scale
            row[K.O_ESTIMATED] += v
            reserve_city = False
            target = cells.target[q]
            if target > 0.0:
                base = cells.base_share[q]
                current = base + (target - base) * min(1.0, (t + 1) / max(cells.ramp[q], 1.0))
                reserve_probability = (current - base) / (1.0 - base) if base < 1.0 else 0.0
                reserve_city = _uniform(key, t, item, 0, K.R_TARGET) < reserve_probability
            social_only = _uniform(key, t, item, 0, K.R_SOCIAL) < cells.social_target[q]
            n_lots, lot_value = 1, v
            threshold = cells.lot_threshold[q]
            if threshold > 0.0 and v > threshold:
                n_lots = min(int(math.ceil(v / threshold)), K.MAX_LOTS)
                lot_value = v / n_lots * (1.0 + cells.lot_penalty[q])
                row[K.O_ADMIN] += n_lots * cells.lot_admin[q]
            for lot in range(n_lots):
                set_aside = lot_value < cells.set_aside[q]
                restricted = cells.restricted[q] > 0 and lot_value < cells.restrict_max[q]
                reserve = K.RESERVE_REGION if restricted else K.RESERVE_NONE
                if reserve_city or set_aside:
                    reserve = K.RESERVE_CITY
                awarded += _tender(
                    key, t, item * K.MAX_LOTS + lot, lot_value, q, reserve,
                    set_aside and cells.set_aside_sme[q] > 0.0, social_only,
                    firms, cells, behaviour, state_firm, scratch,
                    row, sector_row, out_cell,
                )  # fmt: skip
            item += 1
    return awarded


@njit(cache=True, inline="always")
def _adjust_capacity(f, demand, firms, capacity, behaviour):
    """Investment rule: capacity moves towards ``max(initial capacity, demand / target_backlog_months)``.

    ``demand`` is the firm's backlog before this month's execution. Capacity below the target
    grows by ``capacity_adjustment`` of the gap each month (expansion investment); capacity
    above it is not replaced as it wears out and falls by ``depreciation`` of the gap.
    Replacement of the rest keeps it; its money is the replacement investment of
    :func:`_firm_accounts`.
    """
    target = max(firms.capacity[f], demand / behaviour.target_backlog)
    if target > capacity[f]:
        capacity[f] += behaviour.capacity_adjustment * (target - capacity[f])
    else:
        capacity[f] -= behaviour.depreciation * (capacity[f] - target)


@njit(cache=True, inline="always")
def _firm_accounts(
    f, s, executed, plan, y_indirect, y_induced, firms, economy, behaviour, row, sector_row, out_flows, purchases
):
    """Step 2 for one local firm: inputs, wages, surplus and taxes of its output this month.

    Returns ``(resident income, investment, local tax)``. Surplus after taxes pays the
    replacement investment (``E_REPLACEMENT`` of it, every local firm); the rest is split by
    ownership: locally owned surplus is reinvested at the firm's rate or paid to residents,
    the outside-owned part leaves. ``purchases`` (2, n) collects local input purchases for
    next month's indirect and induced demand.
    """
    y = executed + y_indirect + y_induced
    domestic = economy.domestic_inputs[s]
    has_local = economy.local_inputs[s] > 0.0
    local_share = firms.local_input_share[f] if has_local else 0.0
    local_direct = min(max(local_share * domestic * executed, plan if has_local else 0.0), domestic * executed)
    local_indirect = local_direct + local_share * domestic * y_indirect
    local_induced = local_share * domestic * y_induced
    purchases[0, s] += local_indirect
    purchases[1, s] += local_induced
    row[K.O_LEAK + K.L_OTHER_REGIONS] += domestic * y - local_indirect - local_induced
    row[K.O_LEAK + K.L_IMPORTS] += economy.imported[s] * y
    wages = economy.compensation[s] * y
    surplus = economy.surplus[s] * y
    resident = firms.resident_share[f]
    owner = firms.owner_local_share[f]
    # local wage tax at the workplace on all wages, national taxes leave, then the resident split
    tax = behaviour.wage_tax * wages + behaviour.profit_tax * surplus
    net_wages = (1.0 - behaviour.wage_tax - behaviour.national_wage_tax) * wages
    row[K.O_LEAK + K.L_COMMUTERS] += net_wages * (1.0 - resident)
    row[K.O_LEAK + K.L_TAXES_LEAVING] += (
        economy.other_inputs[s] * y + behaviour.national_wage_tax * wages + behaviour.national_profit_tax * surplus
    )
    after_tax = (1.0 - behaviour.profit_tax - behaviour.national_profit_tax) * surplus
    replacement = economy.replacement[s] * after_tax
    distributable = after_tax - replacement
    reinvested = owner * distributable * firms.reinvestment_rate[f]
    row[K.O_LEAK + K.L_OUTSIDE_OWNERS] += (1.0 - owner) * distributable
    row[K.O_TAX] += tax
    sector_row[K.S_OUTPUT, s] += y
    sector_row[K.S_VALUE_ADDED, s] += wages + surplus
    sector_row[K.S_RESIDENT_WAGES, s] += wages * resident
    sector_row[K.S_DIRECT, s] += executed
    sector_row[K.S_INDIRECT, s] += y_indirect
    sector_row[K.S_INDUCED, s] += y_induced
    sector_row[K.S_LOCAL_PURCHASES, s] += local_indirect + local_induced
    sector_row[K.S_OWNERS_INCOME, s] += owner * distributable - reinvested
    sector_row[K.S_INVESTMENT, s] += replacement + reinvested
    if executed > 0.0:
        out_flows[K.F_LOCAL_INPUTS] += local_direct
        out_flows[K.F_OTHER_REGION_INPUTS] += domestic * executed - local_direct
        out_flows[K.F_IMPORTED_INPUTS] += economy.imported[s] * executed
        out_flows[K.F_OTHER_INPUTS] += economy.other_inputs[s] * executed
        out_flows[K.F_RESIDENT_WAGES] += economy.compensation[s] * executed * resident
        out_flows[K.F_COMMUTER_WAGES] += economy.compensation[s] * executed * (1.0 - resident)
        out_flows[K.F_LOCAL_PROFITS] += economy.surplus[s] * executed * owner
        out_flows[K.F_OUTSIDE_PROFITS] += economy.surplus[s] * executed * (1.0 - owner)
    return net_wages * resident + owner * distributable - reinvested, replacement + reinvested, tax


@njit(cache=True, inline="always")
def _execute_backlog(f, firms, behaviour, capacity, backlog, plan_backlog):
    """Firm ``f`` executes its backlog up to its capacity and adjusts its capacity; returns
    ``(executed, coexistence-plan part of it)``.

    A firm with no backlog and its initial capacity is left as it is: nothing to execute, and the
    investment rule's target is the initial capacity it has (most firms in most months).
    """
    demand_before = backlog[f]
    if demand_before == 0.0 and capacity[f] == firms.capacity[f]:
        return 0.0, 0.0
    limits = behaviour.capacity_limits > 0.0
    executed = min(demand_before, capacity[f]) if limits else demand_before
    plan = 0.0
    if executed > 0.0:
        plan = plan_backlog[f] * executed / demand_before
        plan_backlog[f] -= plan
        backlog[f] -= executed
    if limits:
        _adjust_capacity(f, demand_before, firms, capacity, behaviour)
    return executed, plan


@njit(**_NO_REFCOUNT)
def _execute(
    firms, local_firms, other_firms, economy, behaviour, state_firm, demand, purchases, row, sector_row, out_flows
):
    """Step 2: every firm executes backlog up to its capacity; local firms also serve local demand.

    ``local_firms`` and ``other_firms`` are the indices of the firms of the city and of the others,
    each in ascending order (a firm's execution touches only its own state, so taking the others
    first changes no sum). ``demand`` (2, n) is this month's indirect and induced local demand by
    sector, shared among the sector's local firms by their market weight; ``purchases`` (2, n) is
    zeroed and filled with this month's local input purchases. Returns ``(resident income,
    investment, local tax)``.
    """
    capacity, backlog, plan_backlog = state_firm[K.SF_CAPACITY], state_firm[K.SF_BACKLOG], state_firm[K.SF_PLAN]
    for f in other_firms:  # non-local winners: the award left the city when it was made
        _execute_backlog(f, firms, behaviour, capacity, backlog, plan_backlog)
    purchases[:] = 0.0
    income, investment, tax = 0.0, 0.0, 0.0
    for f in local_firms:
        executed, plan = _execute_backlog(f, firms, behaviour, capacity, backlog, plan_backlog)
        s = firms.sector[f]
        weight = firms.market_weight[f]
        if executed + weight * (demand[0, s] + demand[1, s]) <= 0.0:
            continue
        y_income, y_investment, y_tax = _firm_accounts(
            f, s, executed, plan, weight * demand[0, s], weight * demand[1, s],
            firms, economy, behaviour, row, sector_row, out_flows, purchases,
        )  # fmt: skip
        income += y_income
        investment += y_investment
        tax += y_tax
    return income, investment, tax


@njit(**_NO_REFCOUNT)
def _respend(income, investment, propensity, economy, purchases, demand, row):
    """Step 3: resident income and investment, and local input purchases, become next month's demand.

    Households spend ``propensity`` of their income (the rest leaks ``not_respent``), locally
    by the consumption mix and local shares; investment buys capital goods by the capital-goods
    mix and local shares; local input purchases go to the sectors of ``economy.local_purchase_mix``.
    ``demand`` (2, n) is overwritten with next month's indirect and induced local demand.
    """
    n = economy.compensation.shape[0]
    consumption = propensity * income
    row[K.O_HOUSEHOLD_INCOME] = income
    row[K.O_CONSUMPTION] = consumption
    row[K.O_REINVESTMENT] = investment
    row[K.O_LEAK + K.L_NOT_RESPENT] += income - consumption
    row[K.O_LEAK + K.L_SPENDING_OUTSIDE] += consumption * (1.0 - economy.consumption_local.sum())
    row[K.O_LEAK + K.L_OTHER_REGIONS] += investment * (1.0 - economy.capital_local.sum())
    for i in range(n):
        indirect = 0.0
        induced = consumption * economy.consumption_local[i] + investment * economy.capital_local[i]
        for s in range(n):
            indirect += economy.local_purchase_mix[i, s] * purchases[0, s]
            induced += economy.local_purchase_mix[i, s] * purchases[1, s]
        demand[0, i] = indirect
        demand[1, i] = induced


@njit(**_NO_REFCOUNT)
def _circuit_stock(tax, local_firms, state_firm, state_sector):
    """Money held in the circuit at the end of a month: this month's local ``tax``, the backlog of
    the local firms (``local_firms``, their indices in ascending order) and next month's local
    market demand (``state_sector``)."""
    stock = tax
    for f in local_firms:
        stock += state_firm[K.SF_BACKLOG, f]
    return stock + state_sector.sum()


@njit(cache=True, nogil=True)
def _run_periods(
    key, t0, t1, firms, economy, cells,
    behaviour, state_firm, state_sector, state_scalar, out_period, out_sector, out_cell, out_flows,
):  # fmt: skip
    """Run months ``t0 .. t1 - 1`` of one draw, continuing from and updating its ``state_*``.

    ``state_firm`` (capacity, backlog, coexistence-plan backlog, awarded value per firm),
    ``state_sector`` (next month's indirect and induced local demand) and ``state_scalar``
    (last month's local tax) carry the draw from one slice of months to the next, so slicing
    does not change the result. Fills rows ``t0 .. t1 - 1`` of ``out_period`` and
    ``out_sector`` and accumulates ``out_cell`` and ``out_flows``. Returns the lots awarded.
    """
    max_sector = 0
    for s in range(economy.compensation.shape[0]):
        max_sector = max(max_sector, firms.sector_start[s + 1] - firms.sector_start[s])
    scratch = (np.full(max_sector, -1, dtype=np.int8), np.zeros(2 * max_sector + 2, dtype=np.int64),
               np.zeros(2 * max_sector + 2), entry_margins(firms, behaviour))  # fmt: skip
    purchases = np.zeros((2, economy.compensation.shape[0]))
    sector_local_weight = np.zeros(economy.compensation.shape[0])
    local_firms = np.flatnonzero(firms.location == K.LOCATION_LOCAL)
    other_firms = np.flatnonzero(firms.location != K.LOCATION_LOCAL)
    for f in local_firms:
        sector_local_weight[firms.sector[f]] += firms.market_weight[f]
    expected_budget = 0.0
    for q in range(cells.rate.shape[0]):
        expected_budget += cells.rate[q] * cells.mean_value[q]
    propensity = 0.0
    for g in range(economy.income_share.shape[0]):
        propensity += economy.income_share[g] * economy.propensity[g]
    awarded = 0
    for t in range(t0, t1):
        row = out_period[t]
        # last month's local tax: re-spent through procurement, paid out as transfers, or kept
        tax_pending = state_scalar[K.SC_TAX]
        tax_used = behaviour.city_respend * tax_pending
        transfers = behaviour.city_transfer * tax_pending
        row[K.O_LEAK + K.L_NOT_RESPENT] += tax_pending - tax_used - transfers
        scale = 1.0 + tax_used / expected_budget if expected_budget > 0.0 else 1.0
        awarded += _issue_contracts(
            key, t, scale, firms, cells, behaviour, state_firm, scratch,
            row, out_sector[t], out_cell,
        )  # fmt: skip
        for s in range(economy.compensation.shape[0]):
            if sector_local_weight[s] <= 0.0:  # demand for sectors without local firms is bought elsewhere
                row[K.O_LEAK + K.L_OTHER_REGIONS] += state_sector[0, s] + state_sector[1, s]
        income, investment, tax = _execute(
            firms,
            local_firms,
            other_firms,
            economy,
            behaviour,
            state_firm,
            state_sector,
            purchases,
            row,
            out_sector[t],
            out_flows,
        )
        _respend(income + transfers, investment, propensity, economy, purchases, state_sector, row)
        state_scalar[K.SC_TAX] = tax
        row[K.O_STOCK] = _circuit_stock(tax, local_firms, state_firm, state_sector)
        row[K.O_EXTERNAL] = row[K.O_PAYMENTS] - tax_used
    return awarded


@njit(cache=True, parallel=True)
def _run_draws(
    keys, t0, t1, firms, economy, cells,
    behaviour, state_firm, state_sector, state_scalar, out_period, out_sector, out_cell, out_flows,
):  # fmt: skip
    """Months ``t0 .. t1 - 1`` of independent draws in parallel; draw ``d`` touches only index ``d``
    of the ``state_*`` and ``out_*`` arrays. Returns the lots awarded over all draws."""
    counts = np.zeros(keys.shape[0], dtype=np.int64)
    for d in prange(keys.shape[0]):
        counts[d] = _run_periods(
            keys[d], t0, t1, firms, economy,
            cells, behaviour, state_firm[d], state_sector[d], state_scalar[d],
            out_period[d], out_sector[d], out_cell[d], out_flows[d],
        )  # fmt: skip
    return counts.sum()


def concentration(awarded: np.ndarray, sector_start: np.ndarray) -> np.ndarray:
    """Herfindahl-Hirschman index (award shares squared, summed) of each sector's firms; 0 without awards.

    ``awarded`` is (D, F) award value per firm, firms sorted by sector; returns (D, n).
    """
    out = np.zeros((awarded.shape[0], len(sector_start) - 1))
    for s in range(len(sector_start) - 1):
        block = awarded[:, sector_start[s] : sector_start[s + 1]]
        total = block.sum(axis=1, keepdims=True)
        shares = np.divide(block, total, out=np.zeros_like(block), where=total > 0)
        out[:, s] = (shares**2).sum(axis=1)
    return out
