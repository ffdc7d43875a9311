package cronjob

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
)

// maxMissed is how many missed times a sync looks at; older ones are
// not worth running anyway (upstream warns past 100).
const maxMissed = 100000

// parse returns the schedule of cj and the time zone it is read in.
func parse(cj *batchv1.CronJob) (cron.Schedule, *time.Location, error) {
	loc := time.Local
	if tz := cj.Spec.TimeZone; tz != nil {
		l, err := time.LoadLocation(*tz)
		if err != nil {
			return nil, nil, fmt.Errorf("unknown time zone %s: %w", *tz, err)
		}
		loc = l
	}
	s, err := cron.ParseStandard(cj.Spec.Schedule)
	if err != nil {
		return nil, nil, err
	}
	return s, loc, nil
}

// mostRecent returns the last time of s in (earliest, now] (zero when
// none), how many times there were, and the first time after now.
func mostRecent(s cron.Schedule, earliest, now time.Time, loc *time.Location) (last time.Time, missed int, next time.Time) {
	t := s.Next(earliest.In(loc))
	for !t.IsZero() && !t.After(now) && missed < maxMissed {
		last, missed = t, missed+1
		t = s.Next(t)
	}
	for !t.IsZero() && !t.After(now) { // too many: jump to now
		t = s.Next(now.In(loc))
	}
	return last, missed, t
}

// jobName is "<cronjob>-<scheduled time in minutes since the epoch>".
func jobName(cj *batchv1.CronJob, scheduled time.Time) string {
	return fmt.Sprintf("%s-%d", cj.Name, scheduled.Unix()/60)
}
