import sys, time, numpy as np
from proto import *

def clim(tr, o, h, period, count):
    # mean of ff at the same phase over the latest `count` known periods for target o+h
    s = src(o, h, period)
    acc = np.zeros(len(o))
    for j in range(count):
        acc += tr.fget(s - j * period)
    return acc / count

def make(opts):
    def d(tr, o, h):
        X, ref = base_design(tr, o, h)
        cols = [X]
        sph = tr.sph
        t = tr.t0 + (o + h) * tr.slot
        day = (t % 86400) / 86400
        last = tr.fget(o - 1)
        if 'climd7' in opts: cols.append(clim(tr, o, h, tr.day, 7)[:, None])
        if 'climw4' in opts: cols.append(clim(tr, o, h, tr.week, 4)[:, None])
        if 'anom' in opts:
            # latest value's deviation from its own 7-day same-time climatology
            c_last = clim(tr, o - 1, 0, tr.day, 7)  # src(o-1,0,day)= o-1-day
            cols.append((last - c_last)[:, None])
        if 'inter' in opts:
            s1, c1 = np.sin(2*np.pi*day), np.cos(2*np.pi*day)
            sn = tr.fget(src(o, h, tr.day))
            cols.append(np.column_stack([last*s1, last*c1, sn*s1, sn*c1]))
        if 'inter2' in opts:
            s1, c1 = np.sin(2*np.pi*day), np.cos(2*np.pi*day)
            s2, c2 = np.sin(4*np.pi*day), np.cos(4*np.pi*day)
            sn = tr.fget(src(o, h, tr.day))
            cols.append(np.column_stack([last*s1, last*c1, sn*s1, sn*c1, last*s2, last*c2, sn*s2, sn*c2]))
        if 'lastd' in opts: cols.append(tr.fget(o - 1 - tr.day)[:, None])
        if 'lastw' in opts: cols.append(tr.fget(o - 1 - tr.week)[:, None])
        if 'lastdw' in opts: cols.append((tr.fget(o - 1 - tr.day) + tr.fget(o - 1 - tr.week))[:, None])
        if 'lag48' in opts: cols.append(tr.fget(src(o, h, 2*tr.day))[:, None])
        if 'last1h' in opts: cols.append(tr.mean(o - sph, o)[:, None])
        if 'logx' in opts:
            Xs = np.column_stack(cols)
            Xs[:, 10:17] = np.log(np.maximum(Xs[:, 10:17], 20))
            cols = [Xs]
        ref = np.zeros(len(o))
        if 'ref_d' in opts: ref = tr.fget(src(o, h, tr.day))
        if 'ref_c' in opts: ref = clim(tr, o, h, tr.day, 7)
        return np.column_stack(cols), ref
    d.lastcols = base_design.lastcols
    return d

if __name__ == '__main__':
    hs = [6, 24]
    opts = sys.argv[1].split('+') if len(sys.argv) > 1 and sys.argv[1] != 'base' else []
    cfg = {}
    for a in sys.argv[2:]:
        k, v = a.split('='); cfg[k] = float(v) if '.' in v or 'e' in v else int(v)
    if 'ens' in cfg:
        # average with a second model: ens=1 -> log-target variant of the same design
        other = dict(cfg); other.pop('ens'); other['log'] = 1
        d2 = make(opts)
        def comb(tr, h, pred, other=other, d2=d2):
            o2 = dict(other); o2['_capture'] = True
            p2 = run(tr, [h], d2, o2)
            return 0.5 * (pred + p2)
        cfg['combine'] = comb
    traces = [Trace(t) for t in G]
    allres = {}
    t0 = time.time()
    for tr in traces:
        steps = [int(hh * tr.sph) - 1 for hh in hs]
        allres[tr.zone] = (run(tr, steps, make(opts), cfg), tr.sph)
    print(sys.argv[1:], f"{time.time()-t0:.1f}s")
    report(allres, hs)
    sys.stdout.flush()
