// Package figure measures the node figures of the benchmark, one figure
// per file, against one runtime at a time. Figures record their values in
// the run's table under the runtime's name, and their raw samples in the
// run's distributions. Pods that a figure leaves running are kept in the
// Target for the figures that need running pods (memory, exec, restart).
package figure
