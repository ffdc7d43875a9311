// Package cronjob is the CronJob controller: it creates a CronJob's Jobs
// on its schedule, as upstream's does.
//
//   - Schedule: five cron fields or a @descriptor (robfig/cron's
//     standard parser), read in spec.timeZone (else the controller's
//     local time). At each sync the most recent schedule time not yet run
//     (after status.lastScheduleTime, or the CronJob's creation) is the
//     one to run; older missed times are skipped, as upstream. With
//     startingDeadlineSeconds, a time missed by more than that is not
//     run (MissSchedule).
//   - Jobs are named "<cronjob>-<scheduled time in minutes since the
//     epoch>", so a time runs once however often the controller looks;
//     they carry the CronJob's controllerRef and the
//     batch.kubernetes.io/cronjob-scheduled-timestamp annotation.
//   - concurrencyPolicy: Allow runs Jobs side by side, Forbid skips a
//     time while a Job runs (JobAlreadyActive), Replace deletes the
//     running Jobs first.
//   - suspend: no new Jobs.
//   - History: finished Jobs beyond successfulJobsHistoryLimit and
//     failedJobsHistoryLimit are deleted, oldest first, with their pods.
//   - Status (through /status): active (references to the running
//     Jobs), lastScheduleTime, lastSuccessfulTime.
//
// Events from "cronjob-controller": SuccessfulCreate, FailedCreate,
// SawCompletedJob, SuccessfulDelete, MissingJob, JobAlreadyActive,
// MissSchedule, UnexpectedJob, InvalidSchedule.
package cronjob
