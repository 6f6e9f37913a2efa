import { metaMessagingProfile } from './meta-messaging';
import { MockConnector, type MockBehaviour } from './mock.connector';

/** Instagram messaging: 1,000-character texts, 8 MB attachments. */
export const instagramProfile = metaMessagingProfile('instagram', {
  maxTextLength: 1000,
  files: { maxUrlBytes: 8 * 1024 * 1024, maxUploadBytes: 8 * 1024 * 1024 },
});

export function createInstagramMock(behaviour: MockBehaviour = {}): MockConnector {
  return new MockConnector(instagramProfile, behaviour);
}
