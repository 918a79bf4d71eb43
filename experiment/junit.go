package experiment

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"os"
	"strings"
	"time"
)

// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): one suite per run, one
// test case per probe per phase and per step, the observed value in the failure message, the context
// and the file's digest as properties.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Name    string       `xml:"name,attr"`
	Tests   int          `xml:"tests,attr"`
	Fail    int          `xml:"failures,attr"`
	Errors  int          `xml:"errors,attr"`
	Skipped int          `xml:"skipped,attr"`
	Time    string       `xml:"time,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Fail       int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// JUnit renders the journal as JUnit XML.
func JUnit(j *RunRecord) ([]byte, error) {
	s := junitSuite{Name: j.Experiment, Time: secs(j.End.Sub(j.Start)), Timestamp: j.Start.UTC().Format("2006-01-02T15:04:05")}
	dry := ""
	if j.DryRun {
		s.Name += " (dry run)"
		dry = "true: nothing was changed"
	}
	for _, p := range [][2]string{{"outcome", j.Outcome}, {"dryRun", dry}, {"context", j.Context}, {"namespace", j.Namespace}, {"target", j.Target},
		{"file", j.File}, {"sha256", j.Digest}, {"gameday", j.Gameday}, {"clock", j.Clock}, {"reason", j.Reason}} {
		if p[1] != "" {
			s.Properties = append(s.Properties, junitProperty{Name: p[0], Value: p[1]})
		}
	}
	class := "gameday." + j.Experiment
	for _, v := range j.Verdicts {
		c := junitCase{Name: fmt.Sprintf("probe %s (%s)", v.Probe, v.Phase), Classname: class + ".probes", Time: secs(v.End.Sub(v.Start))}
		msg := fmt.Sprintf("observed %s; want %s", v.Observed, v.Tolerance)
		if strings.Contains(v.Observed, "want ") { // a numeric probe's observation says what it wanted
			msg = "observed " + v.Observed
		}
		switch v.Status {
		case StatusFailed, StatusAborted:
			c.Failure = &junitMessage{Message: msg, Type: v.Status, Text: fmt.Sprintf("%d checks, %d breaches\n%s", v.Checks, v.Breaches, msg)}
		case StatusInconclusive:
			c.Error = &junitMessage{Message: "inconclusive: " + v.Observed, Type: "inconclusive"}
		}
		s.Cases = append(s.Cases, c)
	}
	for _, list := range []struct {
		what  string
		steps []StepRecord
	}{{"steps", j.Steps}, {"reverts", j.Reverts}} {
		for _, st := range list.steps {
			c := junitCase{Name: stepName(list.what, st), Classname: class + "." + list.what, Time: secs(st.End.Sub(st.Start))}
			switch st.Status {
			case "ok", "dry-run":
			case StepSkipped:
				c.Skipped = &junitMessage{Message: "not run: the method stopped before it"}
			case StepDeviated:
				c.Failure = &junitMessage{Message: st.Detail, Type: st.Status}
			default:
				c.Error = &junitMessage{Message: cmp.Or(st.Detail, st.Status), Type: st.Status}
			}
			s.Cases = append(s.Cases, c)
		}
	}
	if j.RevertsSkipped {
		s.Cases = append(s.Cases, junitCase{Name: "reverts", Classname: class + ".reverts",
			Error: &junitMessage{Message: "the reverts were skipped by a second interrupt: a person must look", Type: "reverts-skipped"}})
	}
	for _, c := range s.Cases {
		s.Tests++
		switch {
		case c.Failure != nil:
			s.Fail++
		case c.Error != nil:
			s.Errors++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	s.SystemOut = strings.Join(j.Lines, "\n")
	all := junitSuites{Name: "gameday", Tests: s.Tests, Fail: s.Fail, Errors: s.Errors, Skipped: s.Skipped, Time: s.Time, Suites: []junitSuite{s}}
	b, err := xml.MarshalIndent(all, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}

func stepName(what string, st StepRecord) string {
	if what == "reverts" && st.Kind == "halt" {
		return strings.TrimSpace("HALT " + st.Args)
	}
	n := fmt.Sprintf("step %d", st.N)
	if what == "reverts" {
		n = fmt.Sprintf("rollback %d", st.N)
	}
	switch st.Kind {
	case "action":
		return strings.TrimSpace(fmt.Sprintf("%s: %s %s", n, st.Action, st.Args))
	case "wait":
		return n + ": wait " + st.Args
	case "probe":
		return n + ": probe " + st.Probe
	}
	return n + ": " + st.Kind
}

// WriteJUnit writes the journal's JUnit XML to path.
func WriteJUnit(path string, j *RunRecord) error {
	b, err := JUnit(j)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
