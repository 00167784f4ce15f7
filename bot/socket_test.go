package bot_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/bot"
)

// envelope is a Socket Mode request as Slack writes it on the socket.
func envelope(t *testing.T, id, typ string, payload any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"envelope_id": id, "type": typ, "accepts_response_payload": true, "payload": payload})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSocketMode runs slash commands and a click over slacktest's
// WebSocket: each is acknowledged with its envelope id (reads with their
// answer), changes answer through the response_url, a click applies, and a
// reconnection asked by Slack is logged.
func TestSocketMode(t *testing.T) {
	h := newHarness(t, withConfig(func(c *bot.Config) { c.AppToken = "xapp-1-test" }))
	eventually(t, "the socket connection", func() bool { return strings.Contains(h.logs.String(), "socket mode connected") })

	read := h.slash("U0USER", "show contoso")
	h.slack.srv.SendToWebsocket(envelope(t, "env-read", "slash_commands", formMap(read)))
	ack := h.slack.waitAck("env-read")
	if got := blocksText(ack["payload"]); !strings.Contains(got, "Total *13* · Assigned *11* · Available *2*") || !strings.Contains(got, `"response_type":"ephemeral"`) {
		t.Errorf("a read is answered in the acknowledgement: %s", got)
	}

	change := h.slash("U0BILL", "add 3 SPB contoso")
	h.slack.srv.SendToWebsocket(envelope(t, "env-change", "slash_commands", formMap(change)))
	if got := blocksText(h.slack.waitAck("env-change")["payload"]); !strings.Contains(got, "Working on `add 3 SPB contoso`") {
		t.Errorf("a change is acknowledged at once: %s", got)
	}
	path, _ := url.Parse(change.Get("response_url"))
	if got := blocksText(h.hooks.waitPost(path.Path).Msg); !strings.Contains(got, "Total 13 → *16*") {
		t.Errorf("the change's result: %s", got)
	}

	id := submitEmailed(t, h.desk, 20)
	channel, ts, _ := postedApproval(t, h, id)
	h.slack.srv.SendToWebsocket(envelope(t, "env-click", "interactive", clickPayload("U0BILL", bot.ActionApprove, id, channel, ts, h.responseURL())))
	if ack := h.slack.waitAck("env-click"); ack["payload"] != nil {
		t.Errorf("a click is acknowledged bare, got %v", ack["payload"])
	}
	eventually(t, "the approval message update", func() bool { return len(updatesOf(h, id)) > 0 })
	if n := h.total("SPB"); n != 36 {
		t.Errorf("SPB total %d, want 16 + 20 = 36", n)
	}
	if got := h.metric("licensedesk_slack_ack_seconds", map[string]string{"transport": "socket", "kind": "command"}); got != 2 {
		t.Errorf("socket command acknowledgements observed %v times, want 2", got)
	}

	// Slack asks for a reconnection: the client reconnects and says so.
	h.slack.srv.SendToWebsocket(`{"type":"disconnect","reason":"refresh_requested"}`)
	eventually(t, "the reconnection", func() bool { return strings.Contains(h.logs.String(), "socket mode reconnected") })
	if got := h.metric("licensedesk_slack_socket_events_total", map[string]string{"type": "reconnected"}); got < 1 {
		t.Errorf("socket reconnections counted %v", got)
	}
}

// formMap turns a slash command's form into its Socket Mode payload.
func formMap(v url.Values) map[string]string {
	m := map[string]string{}
	for k := range v {
		m[k] = v.Get(k)
	}
	return m
}
