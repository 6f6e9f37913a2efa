// Command deploy-validate checks the deployment manifests offline, with the
// specifications' own Go libraries (no schema downloads, no cluster, no
// Docker engine):
//
//	deploy-validate k8s FILE...      every object in the YAML streams (kustomize
//	                                 build output) decoded strictly into the
//	                                 Kubernetes API types: unknown kinds,
//	                                 unknown or duplicate fields, wrong types and
//	                                 bad quantities fail. Prints the objects as
//	                                 a JSON array.
//	deploy-validate compose [-env-file F] FILE...
//	                                 the Compose files loaded and validated by
//	                                 compose-go (the loader docker compose
//	                                 uses), interpolated with F. Prints the
//	                                 resolved project as JSON.
//
// Errors go to stderr and exit 1; usage errors exit 2.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "k8s":
		err = validateK8s(os.Args[2:], os.Stdout)
	case "compose":
		err = validateCompose(os.Args[2:], os.Stdout)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploy-validate:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: deploy-validate k8s FILE... | deploy-validate compose [-env-file FILE] FILE...")
	os.Exit(2)
}

func validateK8s(files []string, out io.Writer) error {
	if len(files) == 0 {
		return errors.New("k8s: name at least one YAML file (- for stdin)")
	}
	// Strict: unknown and duplicate fields are errors, as the API server's
	// fieldValidation=Strict would report them.
	decoder := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	var objects []json.RawMessage
	var problems []error
	for _, file := range files {
		data, err := readInput(file)
		if err != nil {
			return err
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for index := 0; ; index++ {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: document %d: %w", file, index, err)
			}
			if len(bytes.TrimSpace(stripComments(doc))) == 0 {
				continue
			}
			obj, gvk, err := decoder.Decode(doc, nil, nil)
			if err != nil {
				problems = append(problems, fmt.Errorf("%s: document %d: %w", file, index, err))
				continue
			}
			if err := checkNamed(obj); err != nil {
				problems = append(problems, fmt.Errorf("%s: document %d (%s): %w", file, index, gvk.Kind, err))
				continue
			}
			asJSON, err := json.Marshal(obj)
			if err != nil {
				return err
			}
			// The typed object carries no apiVersion/kind after decoding; put them back for the caller.
			var generic map[string]any
			if err := json.Unmarshal(asJSON, &generic); err != nil {
				return err
			}
			generic["apiVersion"], generic["kind"] = gvk.GroupVersion().String(), gvk.Kind
			raw, err := json.Marshal(generic)
			if err != nil {
				return err
			}
			objects = append(objects, raw)
		}
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	if len(objects) == 0 {
		return errors.New("k8s: no objects found")
	}
	return json.NewEncoder(out).Encode(objects)
}

type named interface{ GetName() string }

func checkNamed(obj runtime.Object) error {
	n, ok := obj.(named)
	if !ok || n.GetName() == "" {
		return errors.New("object has no metadata.name")
	}
	return nil
}

func validateCompose(args []string, out io.Writer) error {
	flags := flag.NewFlagSet("compose", flag.ContinueOnError)
	envFile := flags.String("env-file", "", "dotenv file for interpolation (as compose reads .env)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	files := flags.Args()
	if len(files) == 0 {
		return errors.New("compose: name at least one compose file")
	}
	workingDir, err := filepath.Abs(filepath.Dir(files[0]))
	if err != nil {
		return err
	}
	// Only the env file: the result must not depend on this shell's variables.
	environment := types.Mapping{}
	if *envFile != "" {
		environment, err = dotenv.GetEnvFromFile(map[string]string{}, []string{*envFile})
		if err != nil {
			return err
		}
	}
	var configFiles []types.ConfigFile
	for _, f := range files {
		configFiles = append(configFiles, types.ConfigFile{Filename: f})
	}
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  workingDir,
		ConfigFiles: configFiles,
		Environment: environment,
	}, func(o *loader.Options) {
		o.SetProjectName("messaging-hub", true)
		o.SkipValidation = false
		o.SkipConsistencyCheck = false
	})
	if err != nil {
		return err
	}
	asJSON, err := project.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = out.Write(append(asJSON, '\n'))
	return err
}

func readInput(file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(file)
}

func stripComments(doc []byte) []byte {
	var kept [][]byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			kept = append(kept, line)
		}
	}
	return bytes.Join(kept, []byte("\n"))
}
