package bot

// Socket Mode (SPEC §5.1), for desks behind a firewall: Slack delivers
// slash commands and clicks over a WebSocket that we open with the
// app-level token. Each request is acknowledged with its envelope id (the
// acknowledgement carries the same payload as the HTTP answer), the events
// channel is always drained, and connections, reconnections and failures
// are logged.

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/licensedesk/licensedesk/internal/backoff"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// ackTimeout bounds handing an acknowledgement to the connection.
const ackTimeout = 10 * time.Second

// runSocketMode keeps a Socket Mode connection until ctx ends.
func (s *Server) runSocketMode(ctx context.Context) {
	client := socketmode.New(s.api, socketmode.OptionLog(slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)))
	var wg sync.WaitGroup
	wg.Go(func() {
		// The client reconnects by itself after a dropped connection; it
		// returns only when it gives up (an invalid token, Slack away), and
		// is then started again with backoff, its panics recovered.
		restart := backoff.Loop{Name: "socket mode", Log: s.log, Backoff: backoff.Backoff{
			Policy: socketRestart, HealthyAfter: socketHealthy, Now: func() time.Time { return s.now() }}}
		restart.Run(ctx, func(ctx context.Context) error {
			err := client.RunContext(ctx)
			if ctx.Err() != nil {
				return nil
			}
			s.m.socket.WithLabelValues("stopped").Inc()
			return err
		})
	})
	// Drain the events until ctx ends: the client blocks when nobody reads.
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case evt := <-client.Events:
			s.socketEvent(client, evt)
		}
	}
}

func (s *Server) socketEvent(client *socketmode.Client, evt socketmode.Event) {
	defer s.recoverPanic("socket event")
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		s.log.Debug("socket mode connecting")
	case socketmode.EventTypeConnected:
		n := 0
		if ce, ok := evt.Data.(*socketmode.ConnectedEvent); ok && ce != nil {
			n = ce.ConnectionCount
		}
		if n > 0 {
			s.m.socket.WithLabelValues("reconnected").Inc()
			s.log.Info("socket mode reconnected", "connection", n+1)
		} else {
			s.m.socket.WithLabelValues("connected").Inc()
			s.log.Info("socket mode connected")
		}
	case socketmode.EventTypeConnectionError:
		s.m.socket.WithLabelValues("connection_error").Inc()
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok && ce != nil {
			s.log.Warn("socket mode connection failed", "attempt", ce.Attempt, "retry_in", ce.Backoff, "err", ce.ErrorObj)
		} else {
			s.log.Warn("socket mode connection failed")
		}
	case socketmode.EventTypeInvalidAuth:
		s.m.socket.WithLabelValues("invalid_auth").Inc()
		s.log.Error("socket mode refused: SLACK_APP_TOKEN is invalid")
	case socketmode.EventTypeDisconnect:
		s.m.socket.WithLabelValues("disconnect").Inc()
		s.log.Info("Slack asked for a reconnection")
	case socketmode.EventTypeHello:
		s.log.Debug("socket mode hello")
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		s.socketRequest(client, evt)
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage, socketmode.EventTypeErrorWriteFailed:
		s.m.socket.WithLabelValues(string(evt.Type)).Inc()
		s.log.Warn("socket mode message problem", "type", evt.Type, "detail", fmt.Sprintf("%v", evt.Data))
	default:
		s.log.Debug("socket mode event ignored", "type", evt.Type)
	}
}

// socketRequest answers one request off the events loop, so that a read
// running to its deadline never holds the next event up.
func (s *Server) socketRequest(client *socketmode.Client, evt socketmode.Event) {
	req := evt.Request
	if req == nil {
		return
	}
	start := time.Now()
	ack := func(payload any) error {
		ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
		defer cancel()
		return client.AckCtx(ctx, req.EnvelopeID, payload)
	}
	handle := func(ctx context.Context) {
		kind := "other"
		var payload any
		var t target
		switch d := evt.Data.(type) {
		case slack.SlashCommand:
			kind = "command"
			payload = s.command(d, req.RetryAttempt)
			t = target{ResponseURL: d.ResponseURL, Issued: start, Channel: d.ChannelID, User: d.UserID}
		case slack.InteractionCallback:
			kind = "interaction"
			if p := s.interaction(d); p != nil {
				payload = p
			}
		}
		err := ack(payload)
		if err != nil && payload != nil {
			// Slack drops Socket Mode answers of 20 KB or more: acknowledge
			// bare, and answer through the response_url.
			s.log.Info("socket acknowledgement too large: answering through the response_url", "err", err)
			err = ack(nil)
			if m, ok := payload.(message); ok {
				if serr := s.resp.send(ctx, t, m); serr != nil {
					s.log.Warn("answer not delivered", "err", serr)
				}
			}
		}
		if err != nil {
			s.log.Warn("socket acknowledgement failed", "err", err)
		}
		s.m.ack.WithLabelValues("socket", kind).Observe(time.Since(start).Seconds())
	}
	if !s.spawn("socket request", handle) {
		_ = ack(nil) // stopping: acknowledge so Slack does not retry at us
	}
}
