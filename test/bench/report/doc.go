// Package report holds a benchmark run's results and writes them out:
// raw JSON, a markdown table spliced into docs/bench.md, and an SVG plot
// of the latency distributions.
//
// A run is a list of tables, one per suite: the node suite compares skiffd
// with containerd; a control-plane suite adds its own table with its own
// pair of subjects the same way.
package report
