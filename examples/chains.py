"""Chains: the response of u_1 to one plasticity event for Benna-Fusi chains of m = 1 ... 10
variables, against the t^(-1/2) law, and the exact event-driven integrator against scipy's expm.

With C_k = 2^(k-1), g_k,k+1 = 2^-(k+2) the kernel decays as t^(-1/2) between the fastest and the
slowest timescale (docs/chains.md); a single variable decays exponentially.
"""

import matplotlib.pyplot as plt
import numpy as np
from _common import save
from scipy.linalg import expm

from neuromorph.synapses.chain import LinearChain

t = np.geomspace(0.1, 1e7, 200)
fig, ax = plt.subplots(figsize=(6, 4.5), constrained_layout=True)
for m in (1, 2, 4, 6, 8, 10):
    k = np.arange(m)
    chain = LinearChain(capacities=2.0 ** k, couplings=2.0 ** -(k + 3))
    ax.loglog(t, chain.response_to_unit_event(t), label=f"m = {m}")
m = 10
k = np.arange(m)
chain = LinearChain(capacities=2.0 ** k, couplings=2.0 ** -(k + 3))
window = (t > 10) & (t < 1e5)
slope = np.polyfit(np.log(t[window]), np.log(chain.response_to_unit_event(t[window])), 1)[0]
ax.loglog(t, 0.5 * t ** -0.5, "k:", label="t^(-1/2)")
ax.set_ylim(1e-6, 2)
ax.set_xlabel("time since the event [chain time units]")
ax.set_ylabel("u_1 response to a unit event")
ax.legend(fontsize=8)
ax.set_title(f"Benna-Fusi chains; m = 10 log-log slope {slope:.3f} on 10..1e5")
print(f"m = 10: fitted log-log slope between t = 10 and 1e5: {slope:.3f} (theory -0.5)")
save(fig, "chains_kernel")

# the exact propagator: u(t) = expm(A t) u(0) with A = C^-1 L, against the eigenbasis solution
A = chain.operator()
u0 = np.zeros(m)
u0[0] = 1.0
times = np.array([1.0, 100.0, 1e4])
reference = np.array([(expm(A * s) @ u0)[0] for s in times])
exact = chain.response_to_unit_event(times)
print("u_1 at t = 1, 100, 1e4: eigenbasis", np.array2string(exact, precision=6), "expm",
      np.array2string(reference, precision=6),
      f"max relative difference {np.max(np.abs(exact - reference) / reference):.1e}")
