// Package health answers whether the parts of skiffd that kubelet asks
// about in the CRI Status call — the runtime and pod networking — are
// ready, and if not, why.
package health
