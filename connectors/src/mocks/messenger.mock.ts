import { metaMessagingProfile } from './meta-messaging';
import { MockConnector, type MockBehaviour } from './mock.connector';

/** Messenger: 2,000-character texts, 25 MB attachments. */
export const messengerProfile = metaMessagingProfile('messenger', {
  maxTextLength: 2000,
  files: { maxUrlBytes: 25 * 1024 * 1024, maxUploadBytes: 25 * 1024 * 1024 },
});

export function createMessengerMock(behaviour: MockBehaviour = {}): MockConnector {
  return new MockConnector(messengerProfile, behaviour);
}
