// Package tasktest is a fake task.Runner for unit tests of the container
// and sandbox managers: tasks are records in memory whose processes run
// until they are stopped or made to exit, with failures to inject and a
// census of what is left, to check that nothing leaks.
package tasktest
