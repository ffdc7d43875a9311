package prober

// Defaults of a probe's fields, as the API server sets them.
const (
	defaultPeriod           = 10
	defaultTimeout          = 1
	defaultSuccessThreshold = 1
	defaultFailureThreshold = 3
)

// Result is a probe's verdict.
type Result int

// Results: a startup probe is Unknown until it passes or gives up.
const (
	Unknown Result = iota
	Success
	Failure
)

// counter turns single probe attempts into a result that flips only
// after a run of threshold equal outcomes.
type counter struct {
	result  Result
	last    Result
	streak  int32
	success int32 // successThreshold
	failure int32 // failureThreshold
}

func newCounter(initial Result, success, failure int32) *counter {
	if success <= 0 {
		success = defaultSuccessThreshold
	}
	if failure <= 0 {
		failure = defaultFailureThreshold
	}
	return &counter{result: initial, last: Unknown, success: success, failure: failure}
}

// observe records one attempt and reports whether the result changed.
func (c *counter) observe(ok bool) bool {
	outcome, need := Failure, c.failure
	if ok {
		outcome, need = Success, c.success
	}
	if outcome == c.last {
		c.streak++
	} else {
		c.last, c.streak = outcome, 1
	}
	if outcome != c.result && c.streak >= need {
		c.result = outcome
		return true
	}
	return false
}
