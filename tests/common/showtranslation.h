// For window tests: show the window, load a model and wait for a sentence's translation.
#pragma once

#include "mainwindow.h"

#include <QTest>

namespace attnviz::test {

inline bool showTranslation(MainWindow &window, const QString &model, const QString &sentence)
{
    window.show();
    if (!QTest::qWaitForWindowExposed(&window) || !window.loadModel(model))
        return false;
    window.setSentence(sentence);
    return window.waitForTranslation();
}

} // namespace attnviz::test
