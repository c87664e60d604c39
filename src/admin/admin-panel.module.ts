import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config';
import { EnvironmentsModule } from '../environments/environments.module';
import { FeaturesModule } from '../features/features.module';
import { OrganisationsModule } from '../organisations/organisations.module';
import { ProjectsModule } from '../projects/projects.module';
import { IdentitiesModule } from '../identities/identities.module';
import { PermissionsModule } from '../permissions/permissions.module';
import { SegmentsModule } from '../segments/segments.module';
import { UsersModule } from '../users/users.module';
import { MfaModule } from '../users/mfa/mfa.module';
import { AdminAuthService, googleSignInEnabled } from './admin-auth.service';
import { AdminPanelService } from './admin-panel.service';
import { planBundle, prepareAdminJsEnvironment } from './admin-bundle';
import { AdminWriter } from './admin-writer';
import {
  AdminGoogleStrategy,
  GoogleCallbackGuard,
  GoogleSsoController,
  GoogleStartGuard,
} from './google-sso';

/** The AdminJS panel at /admin (ADMIN_PANEL_ENABLED), with Google sign-in when OAUTH_CLIENT_ID/SECRET are set. */
@Module({})
export class AdminPanelModule {
  static forRoot(config: AppConfig): DynamicModule {
    const google = googleSignInEnabled(config);
    // AdminJS reads its environment when it loads (on the first request for /admin): set it now.
    prepareAdminJsEnvironment(planBundle(config.ADMIN_JS_TMP_DIR));
    return {
      module: AdminPanelModule,
      imports: [
        OrganisationsModule,
        ProjectsModule,
        EnvironmentsModule,
        FeaturesModule,
        SegmentsModule,
        IdentitiesModule,
        PermissionsModule,
        UsersModule,
        MfaModule,
      ],
      controllers: google ? [GoogleSsoController] : [],
      providers: [
        AdminWriter,
        AdminAuthService,
        AdminPanelService,
        ...(google ? [AdminGoogleStrategy, GoogleStartGuard, GoogleCallbackGuard] : []),
      ],
    };
  }
}
