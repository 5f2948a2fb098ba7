# Session 11 (issue 5, the 24 h target): what the history can still give at a day ahead, on the
# prototype's protocol (proto.py, explore.py): every fit on data before each origin, weekly trainings,
# the model in use as the reference (`ref`: 16 weeks with recency half-life 4 weeks, 12 folds, the
# ridge or its log twin per step, blended with the best baseline; before monotone trust).
# Usage: GRIDS=/tmp/grids.json [HS=6,24] python3 session11.py NAME...
#   ref                         the model in use (as explore.py hl4_16_f12)
#   feat:OPT[+OPT…]             + extra features (below) in both ridges
#   gbm_alone, gbm_mean, gbm_sel  gradient-boosted trees (scikit-learn HistGradientBoostingRegressor,
#                               absolute-error loss weighted by 1/y, i.e. MAPE) alone, averaged with
#                               the ridge, or chosen per step on the folds among ridge/twin/GBM/means
#                               (minutes: ten traces × ~55 trainings × the steps of HS)
#   hod:N[:b]                   the blend weight (and with `b` the baseline) chosen per block of
#                               24/N hours of the origin's time of day instead of once per step
#   oracle                      hindsight fits on the whole test period (not a bound: see docs/models.md)
# Extra features (`feat:`): wkend (weekend flag and × the first two daily harmonics), hol (public
# holidays count as weekend days; needs wkend), lags6 (the last six 4-hour means), daymeans (the
# means of the six days before the last 24 h), inter3 (mean of the last 24 h × the daily phase), ewd
# (exponentially weighted same-time mean over 7 days, factor 0.5 a day), sd24 (distance of four
# recent values from the 24 h mean), and on the eight EIA-930 traces only, from their generation
# columns: mixlast (shares of wind, solar, hydro, gas, coal in the last slot), mixday (the same over
# the last 24 h), mixload (total generation in the last slot and at the same time on the latest day).
import csv, datetime, os, sys
sys.argv, NAMES = sys.argv[:1], sys.argv[1:]
import numpy as np
import explore as E
import variants
from proto import G, Trace, base_design, ridge_fit, src

US = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../Tests/VerdantCarbonTests/Fixtures/carbon-intensity/us-eia930-2022_hpe-dc-rl')
HOLIDAYS = {  # the public holidays of each trace's year (UTC dates), from the national calendars
    'US': '2021-12-31 2022-01-17 2022-02-21 2022-05-30 2022-06-20 2022-07-04 2022-09-05 2022-10-10 2022-11-11 2022-11-24 2022-11-25 2022-12-23 2022-12-26',
    'neso': '2023-01-02 2023-04-07 2023-04-10 2023-05-01 2023-05-08 2023-05-29 2023-08-28 2023-12-25 2023-12-26',
    'DE': '2019-12-24 2019-12-25 2019-12-26 2019-12-31 2020-01-01 2020-04-10 2020-04-13 2020-05-01 2020-05-21 2020-06-01 2020-10-03 2020-12-24 2020-12-25 2020-12-26 2020-12-31'}
MIX = {}

def mix(tr):
    """(shares of WND SUN WAT NG COL, total generation) per slot, forward-filled; None off EIA-930."""
    if tr.zone not in MIX:
        fn = [f for f in os.listdir(US) if f.startswith(tr.zone + '_')]
        MIX[tr.zone] = None
        if fn:
            cols = ['WND', 'SUN', 'WAT', 'NG', 'COL', 'OIL', 'NUC', 'OTH']
            M = np.full((tr.n, len(cols)), np.nan)
            for r in csv.DictReader(open(os.path.join(US, fn[0]))):
                i = int(round((datetime.datetime.fromisoformat(r['timestamp']).timestamp() - tr.t0) / tr.slot))
                if 0 <= i < tr.n:
                    M[i] = [float(r[c]) if r[c] else np.nan for c in cols]
            for i in range(1, tr.n):
                bad = ~np.isfinite(M[i]); M[i][bad] = M[i - 1][bad]
            M = np.nan_to_num(M); tot = np.maximum(M.sum(1), 1)
            MIX[tr.zone] = (100 * M[:, :5] / tot[:, None], tot / 1000)
    return MIX[tr.zone]

EXTRA = {'wkend', 'hol', 'lags6', 'daymeans', 'inter3', 'ewd', 'sd24', 'mixlast', 'mixday', 'mixload'}
base_make = variants.make

def make(opts):
    d0 = base_make([o for o in opts if o not in EXTRA])
    def d(tr, o, h):
        X, ref = d0(tr, o, h)
        cols = [X]; sph = tr.sph
        t = tr.t0 + (o + h) * tr.slot
        day = (t % 86400) / 86400
        wkend = ((((t // 86400) + 3) % 7) >= 5).astype(float)   # t = 0 was a Thursday
        if 'hol' in opts:
            hs = set(HOLIDAYS.get(tr.zone, HOLIDAYS['US']).split())
            wkend = np.maximum(wkend, [datetime.datetime.fromtimestamp(v, datetime.timezone.utc).date().isoformat() in hs for v in t])
        if 'wkend' in opts:
            cols.append(np.column_stack([wkend] + [wkend * f(2 * np.pi * k * day) for k in (1, 2) for f in (np.sin, np.cos)]))
        if 'lags6' in opts:
            cols.append(np.column_stack([tr.mean(o - (j + 1) * 4 * sph, o - j * 4 * sph) for j in range(6)]))
        if 'daymeans' in opts:
            cols.append(np.column_stack([tr.mean(o - (j + 1) * 24 * sph, o - j * 24 * sph) for j in range(1, 7)]))
        m24 = tr.mean(o - 24 * sph, o)
        if 'inter3' in opts:
            cols.append(np.column_stack([m24 * np.sin(2 * np.pi * day), m24 * np.cos(2 * np.pi * day)]))
        if 'sd24' in opts:
            cols.append(np.column_stack([np.abs(tr.fget(o - 1 - j * sph) - m24) for j in range(0, 24, 6)]))
        if 'ewd' in opts:
            s = src(o, h, tr.day)
            w = 0.5 ** np.arange(7)
            cols.append((sum(w[j] * tr.fget(s - j * tr.day) for j in range(7)) / w.sum())[:, None])
        mx = mix(tr) if any(x.startswith('mix') for x in opts) else None
        if mx is not None:
            S, tot = mx; i = np.clip(o - 1, 0, tr.n - 1)
            if 'mixlast' in opts: cols.append(S[i])
            if 'mixday' in opts:
                cs = np.vstack([np.zeros((1, 5)), np.cumsum(S, 0)])
                a = np.clip(o - 24 * sph, 0, tr.n); b = np.clip(o, 0, tr.n)
                cols.append((cs[b] - cs[a]) / np.maximum(b - a, 1)[:, None])
            if 'mixload' in opts: cols.append(np.column_stack([tot[i], tot[np.clip(src(o, h, tr.day), 0, tr.n - 1)]]))
        return np.column_stack(cols), ref
    d.lastcols = base_design.lastcols
    return d
variants.make = E.make = make

def gbm_pred(tr, h, weeks=16):
    """Out-of-sample GBM forecasts at every origin (weekly fits on the 16 weeks before, recency half-life 4 weeks)."""
    fn = f"{E.CACHE}/{tr.zone}_{h}_gbm{weeks}.npy"
    if os.path.exists(fn): return np.load(fn)
    from sklearn.ensemble import HistGradientBoostingRegressor
    n, week = tr.n, tr.week
    lead = week + 1; first = int(9 * 168 * tr.sph)
    d = make(['inter', 'lastd'])
    pred = np.full(n + 1, np.nan)
    for k in range(-12, (n - first) // week + 1):
        e = first + k * week; a = max(lead, e - weeks * week); po = np.arange(e, min(e + week, n))
        if e - a < 2 * week or len(po) == 0: continue
        oo = np.arange(a, e); X, _ = d(tr, oo, h); tgt = oo + h
        ok = (tgt < e) & np.isfinite(tr.y[np.minimum(tgt, n - 1)]); yy = tr.y[tgt[ok]]
        m = HistGradientBoostingRegressor(loss='absolute_error', max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40)
        m.fit(X[ok], yy, sample_weight=0.5 ** ((e - oo[ok]) / (4 * week)) / np.maximum(yy, 20))
        pred[po] = m.predict(d(tr, po, h)[0])
    np.save(fn, pred)
    return pred

_cand = E.cand_pred
E.cand_pred = lambda tr, h, c: gbm_pred(tr, h) if c == 'gbm' else _cand(tr, h, c)
REF = [E.IN_USE + ';halflife=4;weeks=16', E.LOG + ';halflife=4;weeks=16']
F12 = dict(nfolds=12, selfolds=12)
E.EXPERIMENTS.update({
    'ref': E.E(REF, [[0, 1]], **F12),
    'gbm_alone': E.E(['gbm'], [[0]], **F12),
    'gbm_mean': E.E(REF + ['gbm'], [[0, 1], [2]], **F12),
    'gbm_sel': E.E(REF + ['gbm'], [[0, 1, 2, (0, 2), (1, 2)]], **F12)})

def feat(extra):
    c = [E.IN_USE + '+' + extra + ';halflife=4;weeks=16', E.LOG.replace(';', '+' + extra + ';', 1) + ';halflife=4;weeks=16']
    return E.E(c, [[0, 1]], **F12)

def blend_hod(tr, h, P, nbuck, per_bucket_baseline):
    """explore.blend_score with the weight w (and optionally the baseline) chosen per time-of-day block."""
    n, week = tr.n, tr.week
    lead = week + 1; first = int(9 * 168 * tr.sph)
    origins = np.arange(first, n, tr.sph); allo = np.arange(lead, n)
    B = np.full((3, n), np.nan)
    B[0, allo] = tr.ff[allo - 1]; B[1, allo] = tr.fget(src(allo, h, tr.day)); B[2, allo] = tr.fget(src(allo, h, week))
    block = (((tr.t0 + np.arange(n) * tr.slot) % 86400) // (86400 // nbuck)).astype(int)
    groups = [[np.array([1., 0]), np.array([0., 1])]]
    fc = np.full(n, np.nan)
    def best_baseline(oo):
        yt = tr.y[oo + h]; ok = np.isfinite(yt) & (yt >= 1)
        return int(np.argmin([np.sum(np.abs(yt[ok] - B[j, oo[ok]]) / yt[ok]) for j in range(3)]))
    for k in range((n - first) // week + 1):
        T = first + k * week
        po = origins[(origins >= T) & (origins < T + week)]
        if len(po) == 0: continue
        long = np.arange(max(lead, T - 52 * week), T - h)
        a = E.choose(tr, h, P, groups, T, 12)
        pred = sum(a[j] * P[j] for j in range(len(P)) if a[j])
        of = np.arange(max(lead, T - 12 * week), T - h)
        of = of[np.isfinite(pred[of]) & np.isfinite(tr.y[of + h])]; of = of[tr.y[of + h] >= 1]
        if not (len(of) and np.isfinite(pred[T])):
            fc[po] = tr.seasonal_bl(po, h, tr.day); continue
        for q in range(nbuck):
            b = best_baseline(long[block[long] == q] if per_bucket_baseline else long)
            sel = of[block[of] == q]
            sel = sel if len(sel) else of
            yt = tr.y[sel + h]
            w = (10 - int(np.argmin([np.mean(np.abs(yt - ((10 - kk) / 10 * pred[sel] + kk / 10 * B[b, sel])) / yt) for kk in range(11)]))) / 10
            pq = po[block[po] == q]
            fc[pq] = np.maximum(0, w * pred[pq] + (1 - w) * B[b, pq])
    return score(tr, h, origins, fc)

def score(tr, h, origins, fc):
    t = origins + h; ok = t < tr.n
    o2 = origins[ok]; yt = tr.y[t[ok]]; ok2 = np.isfinite(yt) & (yt >= 1); o2 = o2[ok2]; yt = yt[ok2]
    m = lambda f: 100 * np.mean(np.abs(yt - f) / yt)
    return dict(model=m(fc[o2]), p=m(tr.ff[o2 - 1]), d=m(tr.seasonal_bl(o2, h, tr.day)), w=m(tr.seasonal_bl(o2, h, tr.week)))

def oracle(tr, h, opts, log=False):
    """One ridge fitted on the whole test period's own targets (hindsight), scored on the same rows."""
    first = int(9 * 168 * tr.sph)
    o = np.arange(first, tr.n - h - 1, tr.sph)
    yt = tr.y[o + h]; ok = np.isfinite(yt) & (yt >= 1); o = o[ok]; yt = yt[ok]
    X, _ = make(opts)(tr, o, h)
    sd = X.std(0); sd[sd < 1e-6] = 1; Z = (X - X.mean(0)) / sd
    if log:
        beta = ridge_fit(Z, np.log(np.maximum(yt, 20)), np.ones(len(yt)), 1e-3); f = np.exp(beta[0] + Z @ beta[1:])
    else:
        beta = ridge_fit(Z, yt, 1 / np.maximum(yt, 20) ** 2, 1e-3); f = np.maximum(0, beta[0] + Z @ beta[1:])
    m = lambda g: 100 * np.mean(np.abs(yt - g) / yt)
    return dict(model=m(f), p=m(tr.ff[o - 1]), d=m(tr.seasonal_bl(o, h, tr.day)), w=m(tr.seasonal_bl(o, h, tr.week)))

def print_gains(name, res, hs):
    for hh in hs:
        gains, worse = [], []
        for z, (r, sph) in res.items():
            h = int(hh * sph) - 1
            if h not in r: continue
            x = r[h]; best = min(x['p'], x['d'], x['w'])
            gains.append((z, (best - x['model']) / best))
            if x['model'] > best: worse.append(f"{z} {x['model']:.2f}>{best:.2f}")
        print(f"{name} {hh:g}h: mean gain {100 * np.mean([g for _, g in gains]):.1f}%  " + " ".join(f"{z}:{100 * g:.1f}" for z, g in gains) + ("  WORSE: " + ", ".join(worse) if worse else ""), flush=True)

if __name__ == '__main__':
    traces = [Trace(t) for t in G]
    hs = [float(x) for x in os.environ.get('HS', '6,24').split(',')]
    steps = lambda tr: [int(hh * tr.sph) - 1 for hh in hs if int(hh * tr.sph) >= 1]
    for name in NAMES:
        if name.startswith('feat:'):
            E.EXPERIMENTS[name] = feat(name[5:])
        if name in E.EXPERIMENTS:
            r = E.run_exp(name, traces, hs)
        elif name.startswith('hod:'):
            parts = name.split(':'); nb = int(parts[1])
            res = {tr.zone: ({h: blend_hod(tr, h, [E.cand_pred(tr, h, c) for c in REF], nb, len(parts) > 2) for h in steps(tr)}, tr.sph) for tr in traces}
            print_gains(name, res, hs)
        elif name == 'oracle':
            for label, opts, kw in [('oracle_lin', ['inter', 'lastd'], {}), ('oracle_log', ['inter', 'lastd', 'logx'], dict(log=True)),
                                    ('oracle_lin_mix', ['inter', 'lastd', 'mixlast', 'mixday', 'mixload'], {})]:
                print_gains(label, {tr.zone: ({h: oracle(tr, h, opts, **kw) for h in steps(tr)}, tr.sph) for tr in traces}, hs)
        else:
            sys.exit(f"session11.py: unknown experiment {name!r} (see the header)")
