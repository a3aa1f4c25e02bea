// Command pebblectl reads and writes keys of a Pebble server.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func serverURL() string {
	if url := os.Getenv("PEBBLE_URL"); url != "" {
		return url
	}
	return "http://127.0.0.1:7070"
}

// setKey stores value under key with an HTTP PUT.
func setKey(key, value string) error {
	req, err := http.NewRequest(http.MethodPut, serverURL()+"/keys/"+key, strings.NewReader(value))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("set %s: %s", key, resp.Status)
	}
	return nil
}

// getKey reads the value stored under key.
func getKey(key string) (string, error) {
	resp, err := http.Get(serverURL() + "/keys/" + key)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return "", fmt.Errorf("no such key: %s", key)
	}
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: pebblectl get KEY | set KEY VALUE")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "get":
		var value string
		value, err = getKey(os.Args[2])
		fmt.Println(value)
	case "set":
		err = setKey(os.Args[2], strings.Join(os.Args[3:], " "))
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
