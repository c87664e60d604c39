// The admin panel's sign-in page (replaces AdminJS's "Login"). Bundled for the browser by AdminJS's bundler
// (`npm run cli -- admin-bundle`, or on first use into ADMIN_JS_TMP_DIR). Which methods are on comes from the
// server in window.__APP_STATE__.flagport: { password: boolean, google: boolean, googleUrl: string }, and, after
// the right password of a superuser with two-factor authentication, secondFactor: { ephemeralToken, wrongCode }
// (the page then asks for the code from the authenticator app or a backup code).
import { Box, Button, FormGroup, H2, H5, Input, Label, MessageBox, Text } from '@adminjs/design-system';
import React from 'react';

const SSO_MESSAGES = {
  denied:
    'Google sign-in was refused: only an existing, active superuser with a verified Google email may enter.',
};

const Login = () => {
  const props = window.__APP_STATE__ || {};
  const methods = props.flagport || { password: false, google: false, googleUrl: '' };
  const sso = new URLSearchParams(window.location.search).get('sso');
  const secondFactor = methods.secondFactor || null;
  const error = props.errorMessage
    ? 'Invalid email or password (or code), the account is locked, or it is not an active superuser.'
    : secondFactor?.wrongCode
      ? 'That code is not valid (a code is accepted once). Try the next code, or a backup code.'
      : SSO_MESSAGES[sso] || null;

  return (
    <Box flex variant="grey" style={{ alignItems: 'center', justifyContent: 'center', height: '100%' }}>
      <Box bg="white" p="x3" boxShadow="login" width={['100%', '480px']} data-testid="flagport-login">
        <H2 marginBottom="lg">Flagport administration</H2>
        {error && <MessageBox my="lg" message={error} variant="danger" data-testid="login-error" />}
        {secondFactor && (
          <Box as="form" action={props.action} method="POST" data-testid="second-factor">
            <input type="hidden" name="ephemeral_token" value={secondFactor.ephemeralToken} />
            <FormGroup>
              <Label required>Two-factor code</Label>
              <Input
                name="code"
                autoComplete="one-time-code"
                inputMode="text"
                autoFocus
                placeholder="Code from your authenticator app, or a backup code"
              />
            </FormGroup>
            <Text mt="lg" textAlign="center">
              <Button variant="contained" type="submit" data-testid="code-login">
                Verify
              </Button>
            </Text>
          </Box>
        )}
        {methods.password && !secondFactor && (
          <Box as="form" action={props.action} method="POST">
            <FormGroup>
              <Label required>Email</Label>
              <Input name="email" type="email" autoComplete="username" placeholder="Email" />
            </FormGroup>
            <FormGroup>
              <Label required>Password</Label>
              <Input name="password" type="password" autoComplete="current-password" placeholder="Password" />
            </FormGroup>
            <Text mt="lg" textAlign="center">
              <Button variant="contained" type="submit" data-testid="password-login">
                Sign in
              </Button>
            </Text>
          </Box>
        )}
        {methods.google && !secondFactor && (
          <Text mt="xl" textAlign="center">
            <Button as="a" href={methods.googleUrl} variant="outlined" data-testid="google-login">
              Sign in with Google
            </Button>
          </Text>
        )}
        {!methods.password && !methods.google && (
          <Box data-testid="login-disabled">
            <H5 marginBottom="default">Sign-in to the admin panel is not enabled.</H5>
            <Text>
              Set ENABLE_ADMIN_ACCESS_USER_PASS=true to sign in with the email and password of a superuser,
              and/or OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET to sign in with Google, then restart the server.
              Create a superuser with `npm run cli -- createsuperuser` (or the first-run form at
              /api/v1/users/config/init/).
            </Text>
          </Box>
        )}
      </Box>
    </Box>
  );
};

export default Login;
