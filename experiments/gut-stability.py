import numpy as np
n=8
def P(s):
    M=np.zeros((n,n))
    for i in range(n): M[(i+s)%n,i]=1
    return M
I=np.eye(n)
exp=[(I+P(s))/2 for s in (1,2,4)]
ring=[(I+P(1)+P(n-1))/3]
def step(W,mu):
    # state [y (pre-gossip), e]; y' = W y - mu e - mu (I-W) y ; e' = mu e + mu (I-W) y
    A=np.block([[W-mu*(I-W), -mu*I],[mu*(I-W), mu*I]])
    return A
for name,Ws in (("exp",exp),("ring",ring)):
    for mu in (0.06,0.3,0.5,0.7,0.9,1.0):
        prod=np.eye(2*n)
        for W in Ws: prod=step(W,mu)@prod
        ev=np.abs(np.linalg.eigvals(prod))
        ev=sorted(ev)[-2:]  # the consensus eigenvalue 1 is expected
        print(name,mu,"per-step radius",[round(v**(1/len(Ws)),4) for v in ev])
