package bot

// The weekly report (R-REPORT: "serve posts the desk-wide report every
// Monday to LICENSEDESK_REPORT_CHANNEL"): from Monday 08:00 in the desk's
// timezone, the desk-wide report is posted to the report channel, once per
// ISO week. The post is claimed in the ledger's registry of posts (kind
// "report", id the ISO year-week in that timezone, "2026-W50") before it
// is made, as approval posts are, so that replicas and restarts post it
// once; a failed post gives its claim back and is tried again. A desk that
// was down on Monday morning posts it when it comes back, later that week
// (and says it is late), never twice.

import (
	"context"
	"fmt"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/slack-go/slack"
)

const (
	// reportKind names the weekly reports in the ledger's registry of posts.
	reportKind = "report"
	// reportHour is when, on Monday in the desk's timezone, the week's
	// report is due.
	reportHour = 8
	// reportLateAfter is how long after it was due a report says it is
	// late: past Monday evening.
	reportLateAfter = 10 * time.Hour
	// defaultReportPoll is how often the reporter looks whether the week's
	// report is due and not posted yet.
	defaultReportPoll = time.Minute
	// reportClaimStale is how long a claim may go without its post before
	// another poster takes it over (the claimant died between claim and
	// post). It is longer than one post with all its retries can take
	// (responder.web: 5 tries, a Retry-After of at most a minute each, and
	// the HTTP client's 15 s), so that a slow post is never made twice.
	reportClaimStale = 15 * time.Minute
	// reportsKept is how long the record of a posted report is kept.
	reportsKept = 12 * 7 * 24 * time.Hour
)

// reportWeek is the ISO year-week of now in loc ("2026-W50") and when that
// week's report is due: its Monday at 08:00 in loc.
func reportWeek(now time.Time, loc *time.Location) (week string, due time.Time) {
	t := now.In(loc)
	y, w := t.ISOWeek()
	sinceMonday := (int(t.Weekday()) + 6) % 7
	due = time.Date(t.Year(), t.Month(), t.Day()-sinceMonday, reportHour, 0, 0, 0, loc)
	return fmt.Sprintf("%04d-W%02d", y, w), due
}

func (s *Server) reportLocation() *time.Location {
	if s.cfg.ReportLocation == nil {
		return time.UTC
	}
	return s.cfg.ReportLocation
}

// postWeeklyReport posts this week's report when it is due and no poster
// has posted it yet. It is one step of the reporter's loop: an error is
// retried by the loop, with backoff.
func (s *Server) postWeeklyReport(ctx context.Context) error {
	now := s.now()
	week, due := reportWeek(now, s.reportLocation())
	if now.Before(due) || s.reported == week {
		return nil
	}
	l := s.desk.Ledger
	if s.unrecorded != nil {
		// Posted, but the record of it failed: record it before anything
		// else, or a replica would take the claim over and post it again.
		if err := l.SetPost(ctx, reportKind, s.unrecorded.week, s.unrecorded.post); err != nil {
			return err
		}
		if s.unrecorded.week == week {
			s.reported = week
		}
		s.unrecorded = nil
		if s.reported == week {
			return nil
		}
	}
	claim := ledger.Post{Owner: s.instance, At: now.Unix()}
	won, err := l.ClaimPost(ctx, reportKind, week, claim, now.Add(-reportClaimStale))
	if err != nil {
		return err
	}
	if !won {
		// Posted, or being posted by another replica.
		if rec, ok, err := l.GetPost(ctx, reportKind, week); err == nil && ok && rec.State != ledger.PostClaimed {
			s.reported = week
		}
		return nil
	}
	channel, ts, err := s.sendWeeklyReport(ctx, week, now.Sub(due) > reportLateAfter)
	if err != nil {
		if rerr := l.ReleasePost(ctx, reportKind, week, claim); rerr != nil {
			s.log.Warn("report claim not released", "week", week, "err", rerr)
		}
		return fmt.Errorf("bot: weekly report %s: %w", week, err)
	}
	s.m.reports.Inc()
	s.log.Info("weekly report posted", "week", week, "channel", channel, "late", now.Sub(due) > reportLateAfter)
	rec := ledger.Post{State: ledger.PostPosted, Owner: s.instance, Channel: channel, TS: ts, At: s.now().Unix()}
	if err := l.SetPost(ctx, reportKind, week, rec); err != nil {
		s.unrecorded = &weekPost{week: week, post: rec}
		return err
	}
	s.reported = week
	s.forgetReports(ctx, now)
	return nil
}

// weekPost is a report posted whose record is still to be written.
type weekPost struct {
	week string
	post ledger.Post
}

// sendWeeklyReport builds the desk-wide report and posts it.
func (s *Server) sendWeeklyReport(ctx context.Context, week string, late bool) (channel, ts string, err error) {
	rep, err := s.desk.Ledger.Report(ctx, "")
	if err != nil {
		return "", "", err
	}
	m := s.view.weeklyReport(rep, week, late)
	err = s.resp.web(ctx, "chat.postMessage", func(ctx context.Context) error {
		var err error
		channel, ts, err = s.api.PostMessageContext(ctx, s.cfg.ReportChannel,
			slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
		return err
	})
	if channel == "" {
		channel = s.cfg.ReportChannel
	}
	return channel, ts, err
}

// forgetReports keeps the registry of weekly reports short: records of
// weeks long past are of no use to anyone.
func (s *Server) forgetReports(ctx context.Context, now time.Time) {
	recs, bad, err := s.desk.Ledger.Posts(ctx, reportKind)
	if err != nil {
		return
	}
	for id, rec := range recs {
		if rec.State != ledger.PostClaimed && now.Sub(time.Unix(rec.At, 0)) > reportsKept {
			bad = append(bad, id)
		}
	}
	for _, id := range bad {
		if err := s.desk.Ledger.DeletePost(ctx, reportKind, id); err != nil {
			s.log.Warn("old report record not forgotten", "week", id, "err", err)
		}
	}
}

// weeklyReport is the Monday post: the desk-wide report under the week.
func (v view) weeklyReport(rep ledger.Report, week string, late bool) message {
	note := ""
	if late {
		note = "Posted late: this report was due on Monday at 08:00, when the desk could not post it."
	}
	return message{
		Text:   fallback("Weekly licence report " + week + ": " + v.r.Report(rep)),
		Blocks: v.report(rep, "Weekly licence report · "+week, note),
	}
}
