import json, sys, numpy as np, time
import os
G = json.load(open(os.environ.get('GRIDS', 'grids.json')))

def load(t):
    y = np.array([np.nan if v is None else v for v in t['values']], float)
    ff = y.copy()
    first = ff[np.isfinite(ff)][0]
    last = first
    for i in range(len(ff)):
        if np.isfinite(ff[i]): last = ff[i]
        ff[i] = last
    return dict(zone=t['zone'], y=y, ff=ff, t0=t['start'], slot=t['slot'], sph=3600 // t['slot'], n=len(y))

def src(o, h, p):
    t = o + h; m = h // p + 1
    return t - m * p

class Trace:
    def __init__(s, t):
        s.__dict__.update(load(t))
        sph = s.sph; s.week = 168 * sph; s.day = 24 * sph
        s.pre = np.concatenate([[0], np.cumsum(s.ff)])
    def fget(s, idx):
        return s.ff[np.clip(idx, 0, s.n - 1)]
    def mean(s, a, b):
        a = np.maximum(a, 0); b = np.minimum(b, s.n)
        return (s.pre[b] - s.pre[a]) / (b - a)
    def seasonal_bl(s, o, h, p):
        # backtest baseline: source, back up to 4 periods if missing, else persistence
        i = src(o, h, p)
        out = np.full(len(o), np.nan)
        for _ in range(4):
            ok = (i >= 0) & np.isnan(out)
            v = np.where(ok, s.y[np.clip(i, 0, s.n - 1)], np.nan)
            out = np.where(np.isnan(out) & np.isfinite(v), v, out)
            i = i - p
        return np.where(np.isfinite(out), out, s.ff[o - 1])

def ridge_fit(X, y, w, lam):
    # X without intercept, standardised already; unpenalised intercept
    m, d = X.shape
    A = np.hstack([np.ones((m, 1)), X])
    w = w * (len(w) / w.sum())
    AtW = A.T * w
    M = AtW @ A
    M[1:, 1:] += lam * m * np.eye(d)
    return np.linalg.solve(M, AtW @ y)

def run(tr, steps, design, cfg):
    """design(tr, o, h) -> (X shared+perstep raw, ref) ; model predicts y - ref (ref may be 0)."""
    n, week, sph = tr.n, tr.week, tr.sph
    lead = week + 1
    first = int(9 * 168 * sph)
    window = cfg.get('weeks', 8) * week
    lam = cfg.get('lam', 1e-3); floor = 20.0
    origins = np.arange(first, n, sph)
    res = {}
    for h in steps:
        # fits on the weekly grid e_k = first + k*week
        ks = range(-8, (n - first) // week + 1)
        pred = np.full(n + 1, np.nan)   # ridge prediction at origin o (from the fit of its week)
        for k in ks:
            e = first + k * week
            a = max(lead, e - window)
            if e - a < 2 * week: continue
            oo = np.arange(a, e)
            X, ref = design(tr, oo, h)
            mu = X.mean(0); sd = X.std(0); sd[sd < 1e-6] = 1
            if cfg.get('seasonal_scale_as_last', True) and hasattr(design, 'lastcols'):
                li, sc = design.lastcols
                for c in sc: mu[c] = mu[li]; sd[c] = sd[li]
            tgt = oo + h
            ok = (tgt < e) & np.isfinite(tr.y[np.minimum(tgt, n - 1)])
            if ok.sum() <= (X.shape[1] + 1) * 4: continue
            yy = tr.y[tgt[ok]]
            w = 1 / np.maximum(yy, floor) ** 2
            rw = np.ones_like(yy)   # recency weights (halflife=W weeks), for both the linear and the log fit
            if cfg.get('halflife'):
                rw = 0.5 ** ((e - oo[ok]) / (cfg['halflife'] * week))
                w = w * rw
            Z = (X[ok] - mu) / sd
            if cfg.get('log'):
                beta = ridge_fit(Z, np.log(np.maximum(yy, floor)) - ref[ok], rw, lam)
            else:
                beta = ridge_fit(Z, yy - ref[ok], w, lam)
            po = np.arange(e, min(e + week, n))
            if len(po) == 0: continue
            Xp, refp = design(tr, po, h)
            pred[po] = beta[0] + ((Xp - mu) / sd) @ beta[1:] + refp
            if cfg.get('log'): pred[po] = np.exp(pred[po])
        if cfg.get('_capture'):
            return pred
        if cfg.get('combine') is not None:
            pred = cfg['combine'](tr, h, pred)
        # baselines at every origin
        allo = np.arange(lead, n)
        B = np.full((3, n), np.nan)
        B[0, allo] = tr.ff[allo - 1]
        B[1, allo] = tr.fget(src(allo, h, tr.day))
        B[2, allo] = tr.fget(src(allo, h, week))
        # trainings
        fc = np.full(n, np.nan)
        for k in range(0, (n - first) // week + 1):
            T = first + k * week
            po = origins[(origins >= T) & (origins < T + week)]
            if len(po) == 0: continue
            # long baseline choice
            s0 = max(lead, T - 52 * week)
            oo = np.arange(s0, T - h)
            yt = tr.y[oo + h]; ok = np.isfinite(yt) & (yt >= 1)
            errs = [np.sum(np.abs(yt[ok] - B[j, oo[ok]]) / yt[ok]) for j in range(3)]
            b = int(np.argmin(errs))
            # OOS over folds
            oo = np.arange(max(lead, T - cfg.get('folds', 8) * week), T - h)
            oo = oo[np.isfinite(pred[oo]) & np.isfinite(tr.y[oo + h])]
            wbest = 0.0
            if len(oo) and np.isfinite(pred[T]):
                yt = tr.y[oo + h]; m1 = yt >= 1
                best = np.inf
                for kk in range(11):
                    wgt = (10 - kk) / 10
                    f = wgt * pred[oo] + (1 - wgt) * B[b, oo]
                    sc = np.mean(np.abs(yt[m1] - f[m1]) / yt[m1])
                    if sc < best - 1e-12: best, wbest = sc, wgt
                fc[po] = np.maximum(0, wbest * pred[po] + (1 - wbest) * B[b, po])
            else:
                fc[po] = tr.seasonal_bl(po, h, tr.day)
        # score
        t = origins + h
        ok = t < n
        o2 = origins[ok]; yt = tr.y[t[ok]]
        ok2 = np.isfinite(yt) & (yt >= 1)
        o2 = o2[ok2]; yt = yt[ok2]
        m = lambda f: 100 * np.mean(np.abs(yt - f) / yt)
        res[h] = dict(model=m(fc[o2]), p=m(tr.ff[o2 - 1]), d=m(tr.seasonal_bl(o2, h, tr.day)), w=m(tr.seasonal_bl(o2, h, week)))
    return res

# --- the current design (ridge-v1)
def base_design(tr, o, h, dh=3, wh=2):
    sph = tr.sph
    t = tr.t0 + o * tr.slot
    day = (t % 86400) / 86400
    wk = ((t + 3 * 86400) % (7 * 86400)) / (7 * 86400)
    cols = []
    for k in range(1, dh + 1): cols += [np.sin(2*np.pi*k*day), np.cos(2*np.pi*k*day)]
    for k in range(1, wh + 1): cols += [np.sin(2*np.pi*k*wk), np.cos(2*np.pi*k*wk)]
    cols += [tr.fget(o - 1), tr.fget(o - 2), tr.fget(o - 1 - 3*sph), tr.fget(o - 1 - 6*sph), tr.mean(o - 24*sph, o)]
    cols += [tr.fget(src(o, h, tr.day)), tr.fget(src(o, h, tr.week))]
    return np.column_stack(cols), np.zeros(len(o))
base_design.lastcols = (10, [15, 16])

def report(allres, steps_h):
    for hh in steps_h:
        gains = []
        for z, (r, sph) in allres.items():
            h = int(hh * sph) - 1
            x = r[h]; best = min(x['p'], x['d'], x['w'])
            gains.append((best - x['model']) / best)
        print(f"  {hh:g}h: mean gain {100*np.mean(gains):.1f}%  " + " ".join(f"{z}:{100*g:.1f}" for z, g in zip(allres, gains)))

if __name__ == '__main__':
    hs = [float(x) for x in sys.argv[1].split(',')] if len(sys.argv) > 1 else [6, 24]
    traces = [Trace(t) for t in G]
    allres = {}
    t0 = time.time()
    for tr in traces:
        steps = [int(hh * tr.sph) - 1 for hh in hs]
        allres[tr.zone] = (run(tr, steps, base_design, {}), tr.sph)
    print(f"{time.time()-t0:.1f}s")
    report(allres, hs)
