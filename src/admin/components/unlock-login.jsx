// The user resource's "Unlock login" page: shows the failed logins that currently count against the account
// (AXES_FAILURE_LIMIT, within AXES_COOLOFF_TIME) and clears them with a POST (never a GET, which a cross-site
// link could trigger). Bundled with login.jsx by AdminJS's bundler.
import { Box, Button, MessageBox, Text } from '@adminjs/design-system';
import { ApiClient, useNotice } from 'adminjs';
import React, { useState } from 'react';

const api = new ApiClient();

const UnlockLogin = (props) => {
  const { record, resource, action } = props;
  const addNotice = useNotice();
  const [failures, setFailures] = useState(record.params.loginFailures ?? 0);
  const [busy, setBusy] = useState(false);

  const unlock = async () => {
    setBusy(true);
    try {
      const response = await api.recordAction({
        resourceId: resource.id,
        recordId: record.id,
        actionName: action.name,
        data: { unlock: 'true' },
      });
      setFailures(response.data.record.params.loginFailures ?? 0);
      if (response.data.notice) addNotice(response.data.notice);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box variant="white" data-testid="unlock-login">
      <Text mb="lg" data-testid="login-failures">
        {`Failed logins counting against ${record.params.email}: ${failures}`}
      </Text>
      {failures === 0 && (
        <MessageBox mb="lg" message="No failed logins: the account is not locked." variant="info" />
      )}
      <Button variant="contained" onClick={unlock} disabled={busy} data-testid="unlock-login-button">
        Unlock login
      </Button>
    </Box>
  );
};

export default UnlockLogin;
