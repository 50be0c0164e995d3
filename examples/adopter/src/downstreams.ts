/** The name under which message-service is configured: `downstreams.get(MESSAGE_SERVICE)`. */
export const MESSAGE_SERVICE = 'messageService';
