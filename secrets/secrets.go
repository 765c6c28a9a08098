// Package secrets reads credentials from AWS Secrets Manager: one secret
// string by ARN, fetched with the AWS SDK and kept for the life of the
// process (a Lambda cold start), fetched again only when the caller says the
// cached value stopped working (rotation).
//
// Nothing here logs or formats a secret value: errors name the secret's ARN
// and what is wrong, never its contents.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// API is the part of the Secrets Manager client this package uses;
// *secretsmanager.Client implements it.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Errors a fetch can be classified as (test with errors.Is).
var (
	// ErrNotFound: no such secret, or it is scheduled for deletion.
	ErrNotFound = errors.New("secret not found")
	// ErrAccessDenied: the caller's IAM role may not read the secret (or decrypt it with its KMS key).
	ErrAccessDenied = errors.New("access to the secret denied")
	// ErrEmpty: the secret has neither a string nor a binary value.
	ErrEmpty = errors.New("secret has no value")
)

// NewClient returns a Secrets Manager client configured the standard AWS
// way: region and credentials from the environment, shared config or the
// Lambda execution role. endpoint, when not empty, replaces the service
// endpoint (a local emulator or a test server); AWS_ENDPOINT_URL_SECRETS_MANAGER
// does the same from the environment. optFns adjust the loading (tests pin
// region and credentials).
func NewClient(ctx context.Context, endpoint string, optFns ...func(*awsconfig.LoadOptions) error) (*secretsmanager.Client, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// Fetch returns the current value (AWSCURRENT) of the secret arn: its
// SecretString, or its SecretBinary as a string. Errors wrap ErrNotFound,
// ErrAccessDenied or ErrEmpty where they apply.
func Fetch(ctx context.Context, api API, arn string) (string, error) {
	if arn == "" {
		return "", errors.New("secrets: no secret ARN given")
	}
	out, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return "", classify(arn, err)
	}
	switch {
	case out.SecretString != nil && *out.SecretString != "":
		return *out.SecretString, nil
	case len(out.SecretBinary) > 0:
		return string(out.SecretBinary), nil
	}
	return "", fmt.Errorf("secret %s: %w", arn, ErrEmpty)
}

// classify turns an SDK error into one that names the secret and, for the
// two failures a deployer must fix, says how.
func classify(arn string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ResourceNotFoundException":
			return fmt.Errorf("secret %s: %w (check PVE_SECRET_ARN and the region): %s", arn, ErrNotFound, api.ErrorMessage())
		case "AccessDeniedException", "AccessDenied":
			return fmt.Errorf("secret %s: %w (the execution role needs secretsmanager:GetSecretValue on it, and kms:Decrypt if it uses a customer managed key): %s", arn, ErrAccessDenied, api.ErrorMessage())
		case "DecryptionFailure":
			return fmt.Errorf("secret %s: %w (Secrets Manager could not decrypt it with its KMS key): %s", arn, ErrAccessDenied, api.ErrorMessage())
		}
		return fmt.Errorf("secret %s: Secrets Manager answered %s: %s", arn, api.ErrorCode(), api.ErrorMessage())
	}
	return fmt.Errorf("secret %s: %w", arn, err)
}

// Cache holds secret values for the life of the process, so a Lambda
// fetches each secret once per cold start. It is safe for concurrent use.
type Cache struct {
	api API

	mu     sync.Mutex
	values map[string]string
}

// NewCache returns an empty cache reading through api.
func NewCache(api API) *Cache {
	return &Cache{api: api, values: map[string]string{}}
}

// Get returns the cached value of arn, fetching it on first use.
func (c *Cache) Get(ctx context.Context, arn string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.values[arn]; ok {
		return v, nil
	}
	return c.fetchLocked(ctx, arn)
}

// Refresh fetches arn again, because the value the caller got (stale) was
// rejected. When another caller already replaced stale, the newer cached
// value is returned without a fetch, so a burst of rejections after a
// rotation costs one GetSecretValue. A failed fetch keeps the old value.
func (c *Cache) Refresh(ctx context.Context, arn, stale string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.values[arn]; ok && v != stale {
		return v, nil
	}
	return c.fetchLocked(ctx, arn)
}

func (c *Cache) fetchLocked(ctx context.Context, arn string) (string, error) {
	v, err := Fetch(ctx, c.api, arn)
	if err != nil {
		return "", err
	}
	c.values[arn] = v
	return v, nil
}
