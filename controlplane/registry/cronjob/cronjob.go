// Package cronjob is the strategy of batch/v1 CronJobs, with the status
// subresource.
package cronjob

import (
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/pod"
	"github.com/skiffrt/skiff/controlplane/registry/workload"
)

// Kind describes cron jobs.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: batchv1.SchemeGroupVersion.WithKind("CronJob"),
		Resource:         "cronjobs", Singular: "cronjob", ShortNames: []string{"cj"}, Categories: []string{"all"},
		Namespaced: true,
		Status:     true,
		ValidName:  validName,
		Strategy:   registry.Typed[*batchv1.CronJob](strategy{}),
	}
}

// validName: the jobs a cron job creates append 11 characters, so its
// name is at most 52 long.
func validName(name string, prefix bool) []string {
	errs := validation.NameIsDNSSubdomain(name, prefix)
	if len(name) > 52 {
		errs = append(errs, "must be no more than 52 characters")
	}
	return errs
}

type strategy struct{}

func (strategy) PrepareForCreate(*batchv1.CronJob)      {}
func (strategy) PrepareForUpdate(_, _ *batchv1.CronJob) {}

// Default sets upstream's SetDefaults_CronJob.
func (strategy) Default(c *batchv1.CronJob) {
	s := &c.Spec
	if s.ConcurrencyPolicy == "" {
		s.ConcurrencyPolicy = batchv1.AllowConcurrent
	}
	if s.Suspend == nil {
		s.Suspend = workload.Ptr(false)
	}
	if s.SuccessfulJobsHistoryLimit == nil {
		s.SuccessfulJobsHistoryLimit = workload.Ptr(int32(3))
	}
	if s.FailedJobsHistoryLimit == nil {
		s.FailedJobsHistoryLimit = workload.Ptr(int32(1))
	}
	pod.DefaultSpec(&s.JobTemplate.Spec.Template.Spec)
}

func (strategy) Validate(c *batchv1.CronJob) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if msg := checkSchedule(c.Spec.Schedule); msg != "" {
		errs = append(errs, field.Invalid(spec.Child("schedule"), c.Spec.Schedule, msg))
	}
	switch c.Spec.ConcurrencyPolicy {
	case batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent:
	default:
		errs = append(errs, field.NotSupported(spec.Child("concurrencyPolicy"), c.Spec.ConcurrencyPolicy, []string{"Allow", "Forbid", "Replace"}))
	}
	if c.Spec.TimeZone != nil {
		if _, err := time.LoadLocation(*c.Spec.TimeZone); err != nil {
			errs = append(errs, field.Invalid(spec.Child("timeZone"), *c.Spec.TimeZone, "unknown time zone"))
		}
	}
	t := &c.Spec.JobTemplate.Spec.Template
	tpath := spec.Child("jobTemplate", "spec", "template")
	errs = append(errs, pod.ValidateTemplate(t, tpath)...)
	if rp := t.Spec.RestartPolicy; rp != "OnFailure" && rp != "Never" {
		errs = append(errs, field.NotSupported(tpath.Child("spec", "restartPolicy"), rp, []string{"OnFailure", "Never"}))
	}
	return errs
}

// checkSchedule accepts five cron fields or a @descriptor, and refuses
// TZ= inside the schedule (timeZone is the field for it), as upstream.
func checkSchedule(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case strings.Contains(s, "TZ"):
		return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
	case strings.HasPrefix(s, "@"):
		switch s {
		case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
			return ""
		}
		if strings.HasPrefix(s, "@every ") {
			if _, err := time.ParseDuration(strings.TrimPrefix(s, "@every ")); err == nil {
				return ""
			}
		}
		return "unrecognized descriptor: " + s
	case len(strings.Fields(s)) != 5:
		return fmt.Sprintf("expected exactly 5 fields, found %d: %s", len(strings.Fields(s)), s)
	}
	return ""
}

func (strategy) ValidateUpdate(_, _ *batchv1.CronJob) field.ErrorList { return nil }
func (strategy) SelectableFields(*batchv1.CronJob) fields.Set         { return nil }

func (strategy) Columns() []metav1.TableColumnDefinition {
	return append([]metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Schedule", "string", "The schedule in Cron format.", 0),
		registry.Column("Timezone", "string", "The time zone name for the given schedule.", 0),
		registry.Column("Suspend", "boolean", "This flag tells the controller to suspend subsequent executions.", 0),
		registry.Column("Active", "integer", "A list of pointers to currently running jobs.", 0),
		registry.Column("Last Schedule", "string", "Information when was the last time the job was successfully scheduled.", 0),
		registry.AgeColumn(),
	}, workload.ContainerColumns()...)
}

func (strategy) Row(c *batchv1.CronJob) []any {
	last := "<none>"
	if c.Status.LastScheduleTime != nil {
		last = duration.HumanDuration(time.Since(c.Status.LastScheduleTime.Time))
	}
	tz := "<none>"
	if c.Spec.TimeZone != nil {
		tz = *c.Spec.TimeZone
	}
	t := &c.Spec.JobTemplate.Spec.Template
	return append([]any{c.Name, c.Spec.Schedule, tz, c.Spec.Suspend != nil && *c.Spec.Suspend, int64(len(c.Status.Active)), last,
		registry.Age(c)}, workload.ContainerCells(t, c.Spec.JobTemplate.Spec.Selector)...)
}
