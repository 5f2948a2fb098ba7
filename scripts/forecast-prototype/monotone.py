# Monotone trust (session 10, docs/models.md): per training, every step's blend weight w (chosen on
# the folds as in explore.py), then `mono` clips it to the running minimum of w over the shorter steps,
# `mono_sameb` (session 10's rule in Swift: monotoneModelWeight) to the minimum over the shorter steps
# blended with the same baseline; `raw` is no clipping. Session 11: `afterF` clips as `mono_sameb` but
# only the steps longer than F hours (the shorter ones still set the cap; `after12` is in use,
# monotoneAfterHours = 12), `onlyF` clips them by the minimum over the steps from F hours on only.
# Every step to 48 h is computed (minutes: DE has 192 steps).
# Usage: GRIDS=/tmp/grids.json [EXP=hl4_16_f12] [ALL=1] python3 monotone.py   (ALL=1: also every step worse than its best baseline)
import sys, os
sys.argv = sys.argv[:1]
from explore import *
name = os.environ.get('EXP', 'hl4_16_f12')
cands, groups, bo = EXPERIMENTS[name]
nf = bo.get('nfolds', 8); sf = bo.get('selfolds', 8)
HS = [1, 3, 6, 12, 18, 24, 36, 48]
ALL = os.environ.get('ALL') == '1'   # ALL=1: also list every step (of every trace) worse than its best baseline
FROM_HOURS = [6, 12, 24]
res = {k: {} for k in ['raw', 'mono', 'mono_sameb'] + [f'{p}{f}' for p in ('after', 'only') for f in FROM_HOURS]}
for t in G:
    tr = Trace(t)
    n, week = tr.n, tr.week
    lead = week + 1; first = int(9 * 168 * tr.sph)
    origins = np.arange(first, n, tr.sph)
    allo = np.arange(lead, n)
    H = 48 * tr.sph
    Ts = [first + k * week for k in range(0, (n - first) // week + 1)]
    W = np.zeros((len(Ts), H)); Bc = np.zeros((len(Ts), H), int)
    PRED = {}
    BS = {}
    for s in range(H):
        P = [cand_pred(tr, s, c) for c in cands]
        B = np.full((3, n), np.nan)
        B[0, allo] = tr.ff[allo - 1]; B[1, allo] = tr.fget(src(allo, s, tr.day)); B[2, allo] = tr.fget(src(allo, s, week))
        preds = []
        for ti, T in enumerate(Ts):
            oo = np.arange(max(lead, T - 52 * week), T - s)
            yt = tr.y[oo + s]; ok = np.isfinite(yt) & (yt >= 1)
            b = int(np.argmin([np.sum(np.abs(yt[ok] - B[j, oo[ok]]) / yt[ok]) for j in range(3)]))
            a = choose(tr, s, P, groups, T, sf)
            pred = sum(a[j] * P[j] for j in range(len(P)) if a[j])
            oo = np.arange(max(lead, T - nf * week), T - s)
            oo = oo[np.isfinite(pred[oo]) & np.isfinite(tr.y[oo + s])]
            wbest = np.nan
            if len(oo) and np.isfinite(pred[T]):
                yt = tr.y[oo + s]; m1 = yt >= 1; o1 = oo[m1]; yt = yt[m1]
                best = np.inf; wbest = 0.0
                for kk in range(11):
                    wgt = (10 - kk) / 10
                    sc = np.mean(np.abs(yt - (wgt * pred[o1] + (1 - wgt) * B[b, o1])) / yt)
                    if sc < best - 1e-12: best, wbest = sc, wgt
            W[ti, s] = wbest; Bc[ti, s] = b
            preds.append(pred)
        PRED[s] = preds; BS[s] = B
    Wm = W.copy()
    for ti in range(len(Ts)):
        for s in range(1, H):
            if np.isfinite(Wm[ti, s]) and np.isfinite(Wm[ti, s - 1]): Wm[ti, s] = min(Wm[ti, s], Wm[ti, s - 1])
    Wb = W.copy()
    for ti in range(len(Ts)):
        for s in range(1, H):
            prev = [Wb[ti, q] for q in range(s) if Bc[ti, q] == Bc[ti, s] and np.isfinite(Wb[ti, q])]
            if prev and np.isfinite(Wb[ti, s]): Wb[ti, s] = min(Wb[ti, s], min(prev))
    WF = {}
    for f in FROM_HOURS:
        s0 = f * tr.sph - 1   # the step that ends f hours after the origin
        After = W.copy(); Only = W.copy()
        for ti in range(len(Ts)):
            for s in range(s0 + 1, H):
                if not np.isfinite(W[ti, s]): continue
                prev = [After[ti, q] for q in range(s) if Bc[ti, q] == Bc[ti, s] and np.isfinite(After[ti, q])]
                if prev: After[ti, s] = min(W[ti, s], min(prev))
                prev = [W[ti, q] for q in range(s0, s) if Bc[ti, q] == Bc[ti, s] and np.isfinite(W[ti, q])]
                if prev: Only[ti, s] = min(W[ti, s], min(prev))
        WF[f'after{f}'] = After; WF[f'only{f}'] = Only
    steps_h = [(s + 1) / tr.sph for s in range(H)] if ALL else HS
    for hh in steps_h:
        s = int(round(hh * tr.sph)) - 1
        for key, WW in (('raw', W), ('mono', Wm), ('mono_sameb', Wb), *WF.items()):
            fc = np.full(n, np.nan)
            for ti, T in enumerate(Ts):
                po = origins[(origins >= T) & (origins < T + week)]
                if len(po) == 0: continue
                w = WW[ti, s]
                if not np.isfinite(w): fc[po] = tr.seasonal_bl(po, s, tr.day); continue
                fc[po] = np.maximum(0, w * PRED[s][ti][po] + (1 - w) * BS[s][Bc[ti, s], po])
            tt = origins + s; ok = tt < n; o2 = origins[ok]; yt = tr.y[tt[ok]]
            ok2 = np.isfinite(yt) & (yt >= 1); o2 = o2[ok2]; yt = yt[ok2]
            m = lambda f: 100 * np.mean(np.abs(yt - f) / yt)
            best = min(m(tr.ff[o2 - 1]), m(tr.seasonal_bl(o2, s, tr.day)), m(tr.seasonal_bl(o2, s, week)))
            res[key].setdefault(hh, {})[tr.zone] = (m(fc[o2]), best)
    print(tr.zone, 'done', flush=True)
for key in res:
    print(key)
    if ALL:
        bad = [(z, hh, mm, b) for hh, r in res[key].items() for z, (mm, b) in r.items() if mm > b]
        print(f'  steps worse than the best baseline: {len(bad)} of {sum(len(r) for r in res[key].values())}', ' '.join(f"{z}@{hh:g}h {mm:.2f}>{b:.2f}" for z, hh, mm, b in bad))
    for hh in HS:
        r = res[key][hh]
        gains = {z: 100 * (b - mm) / b for z, (mm, b) in r.items()}
        worse = [f"{z} {mm:.2f}>{b:.2f}" for z, (mm, b) in r.items() if mm > b]
        print(f"  {hh}h mean {np.mean(list(gains.values())):.1f}%  " + ' '.join(f"{z}:{g:.1f}" for z, g in gains.items()) + ('  WORSE: ' + ', '.join(worse) if worse else ''))
