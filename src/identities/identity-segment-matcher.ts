import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { IdentitySegmentMatcher } from '../segments/segments.repository';
import { matchingSegmentIds } from './identity-evaluation';
import type { Identity } from './identity.entity';

/** IDENTITY_SEGMENT_MATCHER: segment membership by remote evaluation, for segments?identity= (on the primary). */
@Injectable()
export class IdentitySegmentsByEvaluation implements IdentitySegmentMatcher {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  segmentIdsOf(identity: Identity): Promise<number[]> {
    return matchingSegmentIds(this.dataSource.manager, identity.environment, identity);
  }
}
