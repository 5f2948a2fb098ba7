# Session 10 (issue 5, 24 h): combinations of candidate ridges and changes to the blend stage, on the
# prototype's protocol (proto.py). Each candidate's out-of-sample ridge predictions (weekly fits on
# data before each week) are computed once and cached; a "combiner" turns them into one prediction per
# origin using only fold weeks before each training; `blend_score` then blends with the baseline as
# proto.run does (optionally with a MAPE scale c or a fallback rule) and scores the test origins.
# Usage: GRIDS=/tmp/grids.json python3 explore.py EXPERIMENT...   (names in EXPERIMENTS below; HS=6,24)
import os, sys, time, numpy as np
from proto import *
from variants import make

CACHE = os.environ.get('CACHE', '/tmp/forecast-prototype-cache')
os.makedirs(CACHE, exist_ok=True)
IN_USE = 'inter+lastd'
LOG = 'inter+lastd+logx;log=1'

def parse(c):
    parts = c.split(';'); opts = parts[0].split('+') if parts[0] != 'base' else []
    cfg = {}
    for a in parts[1:]:
        k, v = a.split('='); cfg[k] = float(v) if ('.' in v or 'e' in v) else int(v)
    return opts, cfg

def cand_pred(tr, h, c):
    fn = f"{CACHE}/{tr.zone}_{h}_{c.replace(';', '~').replace('/', '_')}.npy"
    if os.path.exists(fn): return np.load(fn)
    opts, cfg = parse(c); cfg = dict(cfg); cfg['_capture'] = True
    p = run(tr, [h], make(opts), cfg)
    np.save(fn, p)
    return p

def weeks(tr):
    week = tr.week; first = int(9 * 168 * tr.sph)
    for k in range(-8, (tr.n - first) // week + 1):
        yield first + k * week

def fold_idx(tr, T, h, preds, nfolds=8):
    lead = tr.week + 1
    oo = np.arange(max(lead, T - nfolds * tr.week), T - h)
    ok = np.isfinite(tr.y[oo + h])
    for p in preds: ok &= np.isfinite(p[oo])
    oo = oo[ok]
    return oo[tr.y[oo + h] >= 1]

def mape(y, f): return np.mean(np.abs(y - f) / y)

# --- the model at a training T: per group, the member (a weight vector over the candidates) with the
# lowest MAPE on the fold weeks before T; the model is the mean of the groups' choices, and its fold
# predictions are those of the same combination (as in Swift, where the linear/log choice is made first
# and the blend weight is then chosen on the chosen ridge's fold forecasts).
def choose(tr, h, P, groups, T, nfolds=8):
    oo = fold_idx(tr, T, h, P, nfolds)
    a = np.zeros(len(P))
    for g in groups:
        if len(oo) == 0 or len(g) == 1: a += g[0]; continue
        yt = tr.y[oo + h]
        sc = [mape(yt, sum(m[j] * P[j][oo] for j in range(len(P)) if m[j])) for m in g]
        a += g[int(np.argmin(sc))]
    return a / len(groups)

# --- blend stage (proto.run's, with options): per training the model (choose), the baseline chosen on
# 52 weeks, the weight w (and with `scale` a factor c) with the lowest MAPE on the fold weeks.
def blend_score(tr, h, P, groups, nfolds=8, scale=None, fallback=None, wfolds=None, selfolds=8, onese=None):
    n, week = tr.n, tr.week
    lead = week + 1; first = int(9 * 168 * tr.sph)
    origins = np.arange(first, n, tr.sph)
    allo = np.arange(lead, n)
    B = np.full((3, n), np.nan)
    B[0, allo] = tr.ff[allo - 1]
    B[1, allo] = tr.fget(src(allo, h, tr.day))
    B[2, allo] = tr.fget(src(allo, h, week))
    fc = np.full(n, np.nan)
    wk = wfolds or nfolds
    info = []
    for k in range(0, (n - first) // week + 1):
        T = first + k * week
        po = origins[(origins >= T) & (origins < T + week)]
        if len(po) == 0: continue
        s0 = max(lead, T - 52 * week)
        oo = np.arange(s0, T - h)
        yt = tr.y[oo + h]; ok = np.isfinite(yt) & (yt >= 1)
        b = int(np.argmin([np.sum(np.abs(yt[ok] - B[j, oo[ok]]) / yt[ok]) for j in range(3)]))
        a = choose(tr, h, P, groups, T, selfolds)
        pred = sum(a[j] * P[j] for j in range(len(P)) if a[j])
        oo = np.arange(max(lead, T - wk * week), T - h)
        oo = oo[np.isfinite(pred[oo]) & np.isfinite(tr.y[oo + h])]
        if not (len(oo) and np.isfinite(pred[T])):
            fc[po] = tr.seasonal_bl(po, h, tr.day); continue
        yt = tr.y[oo + h]; m1 = yt >= 1; oo = oo[m1]; yt = yt[m1]
        best, wbest, cbest = np.inf, 0.0, 1.0
        cs = scale if scale is not None else [1.0]
        for kk in range(11):
            wgt = (10 - kk) / 10
            f = wgt * pred[oo] + (1 - wgt) * B[b, oo]
            for c in cs:
                sc = np.mean(np.abs(yt - c * f) / yt)
                if sc < best - 1e-12: best, wbest, cbest = sc, wgt, c
        if onese is not None and wbest > 0:
            # one-standard-error rule (Hastie, Tibshirani & Friedman, ESL 2nd ed. §7.10): the smallest
            # weight whose fold MAPE is within `onese` standard errors (paired over fold weeks) of the best
            wk_ = (oo - oo.min()) // week
            ape = lambda wgt: np.abs(yt - (wgt * pred[oo] + (1 - wgt) * B[b, oo])) / yt
            ab = ape(wbest)
            wk_ids = np.unique(wk_)
            for kk in range(0, int(round(wbest * 10))):
                wgt = kk / 10
                d = ape(wgt) - ab
                dw = np.array([d[wk_ == j].mean() for j in wk_ids])
                if len(dw) >= 2 and dw.mean() <= onese * dw.std(ddof=1) / np.sqrt(len(dw)):
                    wbest = wgt; break
        if fallback is not None and wbest > 0:
            f = wbest * pred[oo] + (1 - wbest) * B[b, oo]
            if fallback(tr, h, oo, yt, cbest * f, B[b, oo]):
                wbest, cbest = 0.0, 1.0
        info.append((T, b, wbest, cbest, tuple(a)))
        fc[po] = np.maximum(0, cbest * (wbest * pred[po] + (1 - wbest) * B[b, po]))
    t = origins + h
    ok = t < n
    o2 = origins[ok]; yt = tr.y[t[ok]]
    ok2 = np.isfinite(yt) & (yt >= 1)
    o2 = o2[ok2]; yt = yt[ok2]
    m = lambda f: 100 * np.mean(np.abs(yt - f) / yt)
    return dict(model=m(fc[o2]), p=m(tr.ff[o2 - 1]), d=m(tr.seasonal_bl(o2, h, tr.day)), w=m(tr.seasonal_bl(o2, h, week)), info=info)


# --- the blend weight chosen on the folds of neighbouring steps too (pool = ± slots): the same w for
# step h is the one with the lowest MAPE summed over steps h − pool … h + pool, each step with its own
# ridge (linear or log, on its folds) and its own baseline (chosen on 52 weeks). Decided before T.
def blend_score_pool(tr, h, cands, groups, pool, nfolds=8, selfolds=8):
    n, week = tr.n, tr.week
    lead = week + 1; first = int(9 * 168 * tr.sph)
    origins = np.arange(first, n, tr.sph)
    allo = np.arange(lead, n)
    steps = [s for s in range(h - pool, h + pool + 1) if s >= 0]
    PS = {s: [cand_pred(tr, s, c) for c in cands] for s in steps}
    BS = {}
    for s in steps:
        B = np.full((3, n), np.nan)
        B[0, allo] = tr.ff[allo - 1]; B[1, allo] = tr.fget(src(allo, s, tr.day)); B[2, allo] = tr.fget(src(allo, s, week))
        BS[s] = B
    fc = np.full(n, np.nan)
    for k in range(0, (n - first) // week + 1):
        T = first + k * week
        po = origins[(origins >= T) & (origins < T + week)]
        if len(po) == 0: continue
        per = {}
        for s in steps:
            B = BS[s]
            oo = np.arange(max(lead, T - 52 * week), T - s)
            yt = tr.y[oo + s]; ok = np.isfinite(yt) & (yt >= 1)
            b = int(np.argmin([np.sum(np.abs(yt[ok] - B[j, oo[ok]]) / yt[ok]) for j in range(3)]))
            a = choose(tr, s, PS[s], groups, T, selfolds)
            pred = sum(a[j] * PS[s][j] for j in range(len(cands)) if a[j])
            oo = np.arange(max(lead, T - nfolds * week), T - s)
            oo = oo[np.isfinite(pred[oo]) & np.isfinite(tr.y[oo + s])]
            per[s] = (b, pred, oo)
        b, pred, oo = per[h]
        if not (len(oo) and np.isfinite(pred[T])):
            fc[po] = tr.seasonal_bl(po, h, tr.day); continue
        best, wbest = np.inf, 0.0
        for kk in range(11):
            wgt = (10 - kk) / 10
            sc = 0.0
            for s, (bs, ps, os_) in per.items():
                if not len(os_): continue
                yt = tr.y[os_ + s]; m1 = yt >= 1
                f = wgt * ps[os_] + (1 - wgt) * BS[s][bs, os_]
                sc += np.mean(np.abs(yt[m1] - f[m1]) / yt[m1])
            if sc < best - 1e-12: best, wbest = sc, wgt
        fc[po] = np.maximum(0, wbest * pred[po] + (1 - wbest) * BS[h][b, po])
    t = origins + h
    ok = t < n
    o2 = origins[ok]; yt = tr.y[t[ok]]
    ok2 = np.isfinite(yt) & (yt >= 1)
    o2 = o2[ok2]; yt = yt[ok2]
    m = lambda f: 100 * np.mean(np.abs(yt - f) / yt)
    return dict(model=m(fc[o2]), p=m(tr.ff[o2 - 1]), d=m(tr.seasonal_bl(o2, h, tr.day)), w=m(tr.seasonal_bl(o2, h, week)))

# --- fallback rules (decided on the fold weeks before the training)
def weekly_diffs(tr, oo, yt, f, base):
    # per fold week: mean APE of baseline minus that of the blend (positive = blend wins)
    wk = (oo - oo.min()) // tr.week
    d = np.abs(yt - base) / yt - np.abs(yt - f) / yt
    return np.array([d[wk == j].mean() for j in np.unique(wk)])

def fb_ttest(tcrit):
    def f(tr, h, oo, yt, fcst, base):
        d = weekly_diffs(tr, oo, yt, fcst, base)
        if len(d) < 3: return True
        se = d.std(ddof=1) / np.sqrt(len(d))
        return not (d.mean() > tcrit * se)
    return f

def fb_signs(minwins):
    def f(tr, h, oo, yt, fcst, base):
        d = weekly_diffs(tr, oo, yt, fcst, base)
        return (d > 0).sum() < minwins
    return f

SC = [round(x, 2) for x in np.arange(0.85, 1.0501, 0.01)]

def E(cands, groups, **bopts):
    """cands: candidate strings; groups: per group a list of members, each an index or a tuple of
    indices (their equal-weight mean)."""
    G = []
    for g in groups:
        ms = []
        for m in g:
            v = np.zeros(len(cands)); idx = m if isinstance(m, tuple) else (m,)
            for i in idx: v[i] += 1 / len(idx)
            ms.append(v)
        G.append(ms)
    return (cands, G, bopts)

def linlog(*suffixes):
    """per suffix a linear ridge and its log twin; one group (lin or log) per suffix."""
    cands = []; groups = []
    for sfx in suffixes:
        cands += [IN_USE + sfx.replace(';+', '+') if not sfx.startswith('+') else IN_USE + sfx,
                  (LOG.replace(';', sfx + ';', 1) if sfx.startswith('+') else LOG + sfx)]
        groups.append([len(cands) - 2, len(cands) - 1])
    return cands, groups

def ll(*suffixes, **bopts):
    c, g = linlog(*suffixes); return E(c, g, **bopts)

EXPERIMENTS = {
    'inuse': ll(''),
    'lin': E([IN_USE], [[0]]),
    'mean_linlog': E([IN_USE, LOG], [[(0, 1)]]),
    'sel3_linlogmean': E([IN_USE, LOG], [[0, 1, (0, 1)]]),
    'inuse_scale': ll('', scale=SC),
    'inuse_folds12': ll('', nfolds=12, selfolds=12),
    'inuse_wfolds26': ll('', wfolds=26),
    'inuse_wfolds52': ll('', wfolds=52),
    'inuse_t1': ll('', fallback=fb_ttest(1.0)),
    'inuse_t2': ll('', fallback=fb_ttest(2.0)),
    'inuse_signs6': ll('', fallback=fb_signs(6)),
    # forecast combination across training windows (each window: lin or log on the folds; mean of windows)
    'win_4_8_16': ll(';weeks=4', '', ';weeks=16'),
    'win_8_16': ll('', ';weeks=16'),
    'win_8_12': ll('', ';weeks=12'),
    'win_8_52': ll('', ';weeks=52'),
    'win_4_8_16_all6': E([c + w for c in (IN_USE, LOG) for w in (';weeks=4', '', ';weeks=16')], [[(0, 1, 2, 3, 4, 5)]]),
    'weeks12': ll(';weeks=12'),
    'weeks16': ll(';weeks=16'),
    'lam_sel': E([IN_USE, LOG, IN_USE + ';lam=0.1', LOG + ';lam=0.1'], [[0, 1, 2, 3]]),
    'lam_sel_wide': E([IN_USE, LOG] + [c + f';lam={l}' for l in ('0.03', '0.3') for c in (IN_USE, LOG)], [[0, 1, 2, 3, 4, 5]]),
    'hl4_16': ll(';halflife=4;weeks=16'),
    'hl8_52': ll(';halflife=8;weeks=52'),
    'lag48': ll('+lag48'),
    'last1h': ll('+last1h'),
    # session 10, combinations of the above
    'win_4_8_16_wf26': ll(';weeks=4', '', ';weeks=16', wfolds=26),
    'win_4_8_16_wf52': ll(';weeks=4', '', ';weeks=16', wfolds=52),
    'win_4_8_16_f12': ll(';weeks=4', '', ';weeks=16', nfolds=12, selfolds=12),
    'all6_wf26': E([c + w for c in (IN_USE, LOG) for w in (';weeks=4', '', ';weeks=16')], [[(0, 1, 2, 3, 4, 5)]], wfolds=26),
    'all6_wf52': E([c + w for c in (IN_USE, LOG) for w in (';weeks=4', '', ';weeks=16')], [[(0, 1, 2, 3, 4, 5)]], wfolds=52),
    'hl4_16_wf26': ll(';halflife=4;weeks=16', wfolds=26),
    'hl4_16_wf52': ll(';halflife=4;weeks=16', wfolds=52),
    'hl4_16_f12': ll(';halflife=4;weeks=16', nfolds=12, selfolds=12),
    'hl2_16': ll(';halflife=2;weeks=16'),
    'hl4_26': ll(';halflife=4;weeks=26'),
    'hl6_26': ll(';halflife=6;weeks=26'),
    'inuse_f16': ll('', nfolds=16, selfolds=16),
    'inuse_sf26_wf26': ll('', wfolds=26, selfolds=26),
    'mean_linlog_wf26': E([IN_USE, LOG], [[(0, 1)]], wfolds=26),
    'inuse_scale_wf52': ll('', scale=SC, wfolds=52),
    'hl4_16_f10': ll(';halflife=4;weeks=16', nfolds=10, selfolds=10),
    'hl4_16_f16': ll(';halflife=4;weeks=16', nfolds=16, selfolds=16),
    'hl3_16_f12': ll(';halflife=3;weeks=16', nfolds=12, selfolds=12),
    'hl6_16_f12': ll(';halflife=6;weeks=16', nfolds=12, selfolds=12),
    'hl4_12_f12': ll(';halflife=4;weeks=12', nfolds=12, selfolds=12),
    'hl4_26_f12': ll(';halflife=4;weeks=26', nfolds=12, selfolds=12),
    'inuse_1se': ll('', onese=1.0),
    'inuse_halfse': ll('', onese=0.5),
    'hl4_16_f12_1se': ll(';halflife=4;weeks=16', nfolds=12, selfolds=12, onese=1.0),
    'hl4_16_f12_halfse': ll(';halflife=4;weeks=16', nfolds=12, selfolds=12, onese=0.5),
    'hl4_16_f12_pool1': ll(';halflife=4;weeks=16', nfolds=12, selfolds=12, pool=1),
    'hl4_16_f12_pool2': ll(';halflife=4;weeks=16', nfolds=12, selfolds=12, pool=2),
    'hl4_16_f12_pool0': ll(';halflife=4;weeks=16', nfolds=12, selfolds=12, pool=0),
}

def run_exp(name, traces, hs):
    cands, groups, bopts = EXPERIMENTS[name]
    allres = {}
    t0 = time.time()
    for tr in traces:
        steps = [int(hh * tr.sph) - 1 for hh in hs if int(hh * tr.sph) >= 1]
        if 'pool' in bopts:
            bo = dict(bopts); pool_h = bo.pop('pool')
            allres[tr.zone] = ({h: blend_score_pool(tr, h, cands, groups, int(round(pool_h * tr.sph)), **bo) for h in steps}, tr.sph)
        else:
            allres[tr.zone] = ({h: blend_score(tr, h, [cand_pred(tr, h, c) for c in cands], groups, **bopts) for h in steps}, tr.sph)
    print(name, f"{time.time()-t0:.1f}s")
    for hh in hs:
        gains, cells, worse = [], [], []
        for z, (r, sph) in allres.items():
            h = int(hh * sph) - 1
            if h not in r: continue
            x = r[h]; best = min(x['p'], x['d'], x['w'])
            g = (best - x['model']) / best
            gains.append(g); cells.append(f"{z}:{100*g:.1f}")
            if x['model'] > best: worse.append(f"{z} {x['model']:.2f}>{best:.2f}")
        print(f"  {hh:g}h: mean gain {100*np.mean(gains):.1f}% ({len(gains)})  " + " ".join(cells) + ("  WORSE: " + ", ".join(worse) if worse else ""))
    for hh in hs:
        print(f"  {hh:g}h MAPE: " + " ".join(f"{z}:{r[int(hh*sph)-1]['model']:.2f}/{min(r[int(hh*sph)-1][k] for k in 'pdw'):.2f}" for z, (r, sph) in allres.items() if int(hh*sph)-1 in r))
    sys.stdout.flush()
    return allres

if __name__ == '__main__':
    traces = [Trace(t) for t in G]
    hs = [float(x) for x in os.environ.get('HS', '6,24').split(',')]
    for name in sys.argv[1:]:
        run_exp(name, traces, hs)
