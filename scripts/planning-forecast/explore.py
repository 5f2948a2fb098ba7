from sim import *
trace, jobs, F = load(sys.argv[1] if len(sys.argv) > 1 else 'de.bin'); actual = interp(trace)
tf = trace.copy()
# forward fill for history
last = tf[0]
for i in range(len(tf)):
    if np.isfinite(tf[i]): last = tf[i]
    else: tf[i] = last
J = len(jobs); H = F.shape[1]
orc = [trace[s0:s0+h] for (s0,h,*_ ) in jobs]
po = {i: plan_cost(actual, jobs, orc, i) for i in (False, True)}
def score(fc, label):
    r = []
    for inter in (False, True):
        pm, now = plan_cost(actual, jobs, fc, inter)
        r.append((1-pm/now)/(1-po[inter][0]/now))
    print(f'{label:50s} {100*r[0]:.1f} {100*r[1]:.1f}', flush=True)
def clim(s0, h, period, n, stat=np.median):
    # value at slot s0+k: stat of tf[s0+k - m*period] for m such that index < s0, last n
    out = np.empty(h)
    for k in range(h):
        m0 = (k // period) + 1
        idx = s0 + k - period*np.arange(m0, m0+n)
        idx = idx[idx >= 0]   # (the first exploration lacked this: it wrapped to the year's end)
        out[k] = stat(tf[idx]) if len(idx) else np.nan
    return out
pt = [F[i,:jobs[i][1],0] for i in range(J)]
score(pt, 'model')
score([F[i,:jobs[i][1],1] for i in range(J)], 'lower')
score([F[i,:jobs[i][1],2] for i in range(J)], 'upper')
score([0.5*F[i,:jobs[i][1],1]+0.5*F[i,:jobs[i][1],0] for i in range(J)], 'mid lower')
for per, n in ((48, 7), (48, 14), (336, 4), (336, 8)):
    cl = [clim(s0, h, per, n) for (s0,h,*_) in jobs]
    score(cl, f'clim {per} {n}')
    for w in (0.3, 0.5, 0.7):
        score([w*pt[i] + (1-w)*cl[i] for i in range(J)], f'  blend w={w}')
    # horizon decay: w(k) = exp(-k/tau)
    for tau in (48, 96, 192):
        score([np.exp(-np.arange(jobs[i][1])/tau)*pt[i] + (1-np.exp(-np.arange(jobs[i][1])/tau))*cl[i] for i in range(J)], f'  decay tau={tau}')
