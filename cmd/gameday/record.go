package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/gamedaylab/gameday/config"
	"github.com/gamedaylab/gameday/recording"
	"github.com/gamedaylab/gameday/session"
)

// sess0Context names the session's world for the recording's default file name.
func sess0Context(so session.Options) string {
	switch {
	case so.Demo:
		return "demo"
	case so.Kube != nil:
		return so.Kube.Context
	}
	return "session"
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// recordOptions is where the session records to: --record, else a new file in the sessions
// directory; nil with --no-record.
func recordOptions(o *options, where string) (*session.Record, error) {
	if o.noRecord {
		if o.record != "" {
			return nil, usageError{fmt.Errorf("--record and --no-record: pick one")}
		}
		return nil, nil
	}
	max := int64(0)
	if o.recordMax != "" && o.recordMax != "0" {
		q, err := resource.ParseQuantity(o.recordMax)
		if err != nil || q.Sign() < 0 {
			return nil, usageError{fmt.Errorf("--record-max: want a size such as 500Mi or 2Gi (0: no cap), got %q", o.recordMax)}
		}
		max = q.Value()
	}
	path := o.record
	if path == "" {
		stem := filepath.Join(config.DefaultSessionsDir(), time.Now().Format("20060102-150405")+"-"+unsafeName.ReplaceAllString(where, "_"))
		path = stem + ".gdr"
		// Two sessions started in the same second (CI, two terminals) each keep their own file.
		for n := 2; ; n++ {
			if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
				break
			}
			path = fmt.Sprintf("%s-%d.gdr", stem, n)
		}
	}
	return &session.Record{Path: path, MaxBytes: max, Version: version(), Scenario: cmp.Or(o.scenario, o.runFile)}, nil
}

// sayRecording tells where the session was recorded, once it is closed.
func sayRecording(w io.Writer, s *session.Session) {
	st, ok := s.Recording()
	if !ok {
		return
	}
	full := ""
	if st.Full {
		full = ", stopped at the size cap"
	}
	fmt.Fprintf(w, "gameday: recorded to %s (%d events, %s%s): gameday replay %s\n", st.Path, st.Events, recording.Size(st.Bytes), full, st.Path)
	if why := st.Incomplete(); why != "" {
		fmt.Fprintf(w, "gameday: the recording is incomplete: %s\n", why)
	}
}
