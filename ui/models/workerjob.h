// The worker side of a controller's computation (the Compare window's comparison, a training
// run's timeline): compute on the calling (worker) thread, catch what the engine throws, and hand
// the result or the message to the main thread, where the controller (which may be gone by then:
// `deliver` checks its QPointer) takes it.
#pragma once

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QString>
#include <QThread>

#include <exception>
#include <functional>
#include <memory>

namespace attnviz {

// deliver(std::shared_ptr<Result> result, QString error) runs on the main thread: result null and
// error the exception's message when compute() threw.
template <typename Result, typename Compute, typename Deliver>
void computeAndPost(Compute compute, Deliver deliver)
{
    auto result = std::make_shared<Result>();
    QString error;
    try {
        *result = compute();
    } catch (const std::exception &e) { // ModelError, ComparisonError, InputError: the person can act on them
        result.reset();
        error = QString::fromStdString(e.what());
    }
    QMetaObject::invokeMethod(
        QCoreApplication::instance(), [deliver, result, error] { deliver(result, error); }, Qt::QueuedConnection);
}

// Runs the event loop until busy() is false or the time is up (tests and the bench; the window
// never waits).
inline void processEventsWhile(const std::function<bool()> &busy, int milliseconds)
{
    QElapsedTimer timer;
    timer.start();
    while (busy() && timer.elapsed() < milliseconds) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
}

} // namespace attnviz
