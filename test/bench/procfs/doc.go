// Package procfs reads what the benchmark needs from /proc: proportional
// set size, resident set size, CPU time, command lines and the process
// tree.
package procfs
