import { Controller, Headers, Post } from '@nestjs/common';
import { DetailJson, Responds } from '../http/schema';
import { E2eTestsService } from './e2e-tests.service';

/**
 * Flagsmith's `POST /api/v1/e2etests/teardown/`. Registered only with ENABLE_FE_E2E (E2eTestsModule): when off,
 * the path does not exist (404).
 */
@Controller('api/v1/e2etests')
export class E2eTestsController {
  constructor(private readonly e2e: E2eTestsService) {}

  @Post('teardown')
  @Responds(204, null, 'The e2e accounts and their organisations were deleted and seeded again')
  @Responds(
    401,
    DetailJson,
    'X-E2E-Test-Auth-Token missing or not E2E_TEST_AUTH_TOKEN (or no token configured)',
  )
  async teardown(@Headers('x-e2e-test-auth-token') token: string | undefined): Promise<void> {
    this.e2e.authorise(token);
    await this.e2e.teardown();
  }
}
